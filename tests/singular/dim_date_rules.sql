{#
    The calendar rules of dim_date (warehouse contract, "The star"), checked on
    the built table. Returns one row per broken rule; a rule about a date that is
    missing from dim_date counts as broken.
#}

with

dim_date as (

    select * from {{ ref('dim_date') }}

),

checks as (

    select
        'row count is 4018 (2020-01-01..2030-12-31, no gaps)' as rule_description,
        count(*) = 4018
        and count(distinct full_date) = 4018
        and min(full_date) = date '2020-01-01'
        and max(full_date) = date '2030-12-31' as passed
    from dim_date

    union all

    select
        '2026-01-31 is fiscal year 2025 quarter 4' as rule_description,
        count(*) filter (where fiscal_year = 2025 and fiscal_quarter = 4) = 1 as passed
    from dim_date
    where full_date = date '2026-01-31'

    union all

    select
        '2026-02-01 is fiscal year 2026 quarter 1' as rule_description,
        count(*) filter (where fiscal_year = 2026 and fiscal_quarter = 1) = 1 as passed
    from dim_date
    where full_date = date '2026-02-01'

    union all

    select
        '2020-07-03 (Friday) is a holiday: Independence Day observed' as rule_description,
        count(*) filter (where is_holiday) = 1 as passed
    from dim_date
    where full_date = date '2020-07-03'

    union all

    select
        '2020-07-04 (Saturday) is not flagged: only the observed day is' as rule_description,
        count(*) filter (where not is_holiday) = 1 as passed
    from dim_date
    where full_date = date '2020-07-04'

    union all

    select
        '2021-12-24 is a holiday: Christmas Day 2021 observed' as rule_description,
        count(*) filter (where is_holiday) = 1 as passed
    from dim_date
    where full_date = date '2021-12-24'

    union all

    select
        '2023-01-02 is a holiday: New Year''s Day 2023 observed' as rule_description,
        count(*) filter (where is_holiday) = 1 as passed
    from dim_date
    where full_date = date '2023-01-02'

    union all

    select
        '2026-11-26 is a holiday: Thanksgiving Day' as rule_description,
        count(*) filter (where is_holiday) = 1 as passed
    from dim_date
    where full_date = date '2026-11-26'

    union all

    select
        '2021-01-03 is ISO week 53 of ISO year 2020' as rule_description,
        count(*) filter (where iso_week = 53 and iso_year = 2020) = 1 as passed
    from dim_date
    where full_date = date '2021-01-03'

    union all

    select
        'no holiday is flagged on a weekend' as rule_description,
        count(*) filter (where is_holiday and is_weekend) = 0 as passed
    from dim_date

),

final as (

    select rule_description
    from checks
    where not passed

)

select * from final
