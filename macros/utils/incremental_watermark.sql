{#
    The lower bound of an incremental load: the newest `column` already in the
    model's relation minus the lookback var `ingest_lookback_minutes`. Rows of
    the source at or after it are (re)processed; the rest is already loaded.
    On an empty relation it is '-infinity', so everything loads.

    The bound is read when the model runs and rendered as a literal: with a
    subquery in its place PostgreSQL cannot know the value when it plans,
    estimates a third of the table and scans all of it; with the literal it
    reads only the new batch through the column's index. In a unit test the
    relation is a CTE of the test's query and the bound a subquery of it.
#}
{% macro incremental_watermark(column, relation=this) -%}
    {%- set query -%}
        select
            case
                when max({{ column }}) is null then '-infinity'
                else to_char(
                    (max({{ column }}) - interval '{{ non_negative_number_var('ingest_lookback_minutes', 10) }} minutes')
                    at time zone 'UTC',
                    'YYYY-MM-DD HH24:MI:SS.US'
                ) || '+00'
            end
        from {{ relation }}
    {%- endset -%}
    {%- if execute and (relation is string or relation.is_cte) -%}
        {#- A unit test: `this` (a string) and refs (relations of type cte) name CTEs of the test's query, which cannot be queried on their own. -#}
        cast(({{ query }}) as timestamptz)
    {%- elif execute -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        cast('{{ value }}' as timestamptz)
    {%- else -%}
        cast('-infinity' as timestamptz)
    {%- endif -%}
{%- endmacro %}


{#
    The smallest value of the timestamptz `expression` over the rows of
    `relation` matching `where`, read when the model runs and rendered as a
    literal (`cast('...' as timestamptz)`); 'infinity' when no row matches.

    For a query that reads a hypertable once per batch row (a lateral
    subquery): a literal lower bound on the time column lets the planner
    exclude the chunks before it once, instead of TimescaleDB excluding them
    again at run time for every row (about 0.25 ms per row over 89 chunks).

    The matching rows are read in a subquery fenced with `offset 0`, so the
    plan is always "find the batch through `where`'s index, then take the
    minimum". Without the fence PostgreSQL may turn `min(captured_at)` into
    a walk of the captured_at index from the oldest row, filtering every row
    on `where` until the first match: on a freshly built scale-1 warehouse
    that walk took 17-24 s per refresh, whatever the batch's size.
#}
{% macro smallest_timestamp(expression, relation, where) -%}
    {%- if not execute -%}
        {{ return("cast('-infinity' as timestamptz)") }}
    {%- endif -%}
    {%- set query -%}
        select cast(min(matched.value) as text)
        from (select {{ expression }} as value from {{ relation }} where {{ where }} offset 0) as matched
    {%- endset -%}
    {%- if relation is string or relation.is_cte -%}
        {#- A unit test, or an ephemeral model (see incremental_watermark). -#}
        {{ return("coalesce(cast((" ~ query ~ ") as timestamptz), cast('infinity' as timestamptz))") }}
    {%- endif -%}
    {%- set value = run_query(query).columns[0].values()[0] -%}
    {{ return("cast('" ~ (value if value is not none else 'infinity') ~ "' as timestamptz)") }}
{%- endmacro %}
