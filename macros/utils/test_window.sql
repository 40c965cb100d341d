{#
    Data tests on the large time-series relations check a recent window by
    default, and the whole history on request.

    A generic test opts in with a `where` config that names its relation's
    load-time column and the placeholder __test_window_start__, e.g.
        config: {where: "changed_at >= __test_window_start__"}
    (the column is indexed on every such relation, so the test reads the
    window through the index instead of scanning the history). A singular
    test calls test_window_start() itself.

    The window starts `test_window_days` (default 3) days before as_of: a
    daily `dbt build` checks what the refreshes of the last days loaded or
    changed, and a missed day is still covered the day after. With the var
    `full_history: true` (`ytempire-ops check --full-history`, weekly in the
    README's cron) the placeholder's `where` is dropped and every row is
    checked. Guarantees the database enforces (the unique indexes on each
    relation's grain, NOT NULL constraints) hold for the whole history
    whatever the window; docs/data_quality.md lists which guarantee lives
    where.
#}

{# true when this run checks the whole history (the var full_history). #}
{% macro full_history_tests() -%}
    {{ return(bool_var('full_history', false)) }}
{%- endmacro %}

{# The first instant of the test window, as a timestamptz expression; '-infinity' in a full-history run. #}
{% macro test_window_start() -%}
    {%- if full_history_tests() -%}
        cast('-infinity' as timestamptz)
    {%- else -%}
        ({{ as_of() }} - interval '{{ non_negative_number_var('test_window_days', 3) }} days')
    {%- endif -%}
{%- endmacro %}

{#
    dbt's get_where_subquery (the documented hook for templating `where`),
    with the window placeholder: replaced by test_window_start(), or, in a
    full-history run, the whole `where` dropped.
#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__test_window_start__' in where -%}
        {%- if full_history_tests() -%}
            {%- do return(relation) -%}
        {%- endif -%}
        {%- set where = where | replace('__test_window_start__', test_window_start()) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}
