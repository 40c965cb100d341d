{#
    The select of an aggregate fact that rolls rows of `source` (a CTE name)
    up by (`key`, time bucket): one output row per (key, bucket) with rows,
    each `sums` entry (name -> aggregate over `source`) as a column. `sums`
    must have a `polls` entry counting the rows.

    Full load: one group by over `source`, the bucket computed by
    `bucket_of` (an expression of `source`'s time column). Incremental: only
    the pairs of the CTE `touched` (columns `key` and `bucket`), each summed
    from its own rows, those with `time_column` in
    [`bucket_starts`, `bucket_ends`) (expressions of `touched`), through a
    lateral subquery: PostgreSQL then reads each pair through the source's
    (key, time) index instead of choosing to scan the whole range. A pair
    whose rows are all gone gives no row. `time_floor` (a literal, e.g. from
    smallest_timestamp), when given, bounds `time_column` below in that
    subquery as well: the chunks of a hypertable before it are then excluded
    once, when PostgreSQL plans, not again for every pair.

    Used by fact_video_hourly (polls by hour) and fact_video_daily (hours by day).
#}
{% macro rollup_by_bucket(source, key, bucket, bucket_of, time_column, bucket_starts, bucket_ends, sums, time_floor=none) -%}
    {%- if is_incremental() %}
    select
        touched.{{ key }},
        touched.{{ bucket }},
        {%- for name in sums %}
        sums.{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from touched
    cross join lateral (
        select
            {%- for name, expression in sums.items() %}
            {{ expression }} as {{ name }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ source }}
        where
            {{ source }}.{{ key }} = touched.{{ key }}
            and {{ time_column }} >= {{ bucket_starts }}
            and {{ time_column }} < {{ bucket_ends }}
            {%- if time_floor is not none %}
            and {{ time_column }} >= {{ time_floor }}
            {%- endif %}
    ) as sums
    where sums.polls > 0
    {%- else %}
    select
        {{ source }}.{{ key }},
        {{ bucket_of }} as {{ bucket }},
        {%- for name, expression in sums.items() %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ source }}
    group by {{ source }}.{{ key }}, {{ bucket_of }}
    {%- endif %}
{%- endmacro %}
