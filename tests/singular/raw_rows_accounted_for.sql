{#
    Error: every raw row is accounted for, per raw table: raw rows = used +
    superseded + quarantined (int_raw_rows_accounted's invariant; the
    counting is macro raw_rows_accounting). The polls, cost lines, revenue
    reports and API calls are counted over the test window (the rows loaded
    since test_window_start(), through the raw tables' load-time indexes),
    the reference tables whole; a full-history run (var full_history)
    counts every row. One row per table that does not add up.
#}

with

accounting as (

    {{ raw_rows_accounting(none if full_history_tests() else test_window_start()) }}

),

unaccounted as (

    select * from accounting
    where unaccounted_rows <> 0

)

select * from unaccounted
