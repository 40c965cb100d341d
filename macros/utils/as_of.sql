{#
    The as-of instant every time window is relative to: the var `as_of`
    (a timestamptz literal such as '2026-11-21 12:00:00+00'), else the
    environment variable YTEMPIRE_AS_OF (what `ytempire-ops build/refresh
    --as-of` set), else the run's start. Models call `{{ as_of() }}` instead
    of now() / current_date, so a re-run with the same as_of on the same raw
    data gives the same marts.

    The environment variable is read only when the SQL runs, never while
    dbt parses: a changed --vars makes dbt parse the whole project again
    (seconds), a changed YTEMPIRE_AS_OF does not.
#}
{% macro as_of() -%}
    {%- set value = var('as_of', '') -%}
    {%- if (value is none or (value | string | trim) == '') and execute -%}
        {%- set value = env_var('YTEMPIRE_AS_OF', '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f+00') -%}
    {%- endif -%}
    cast('{{ value | string | replace("'", "''") }}' as timestamptz)
{%- endmacro %}

{# The UTC calendar date of as_of. #}
{% macro as_of_date() -%}
    cast(({{ as_of() }} at time zone 'UTC') as date)
{%- endmacro %}


{#
    as_of inside a view. A view's text is fixed when `build` creates it, and a
    refresh never recreates views: a literal there would keep the instant of
    that build, and an incremental model reading the view would judge its new
    rows against it. So a view reads the session setting ytempire.as_of,
    which set_view_as_of() sets for the transaction of an incremental model
    that reads such a view (its pre-hook). A view read on its own (`check`,
    data tests, analysts) gets 'infinity': a rule of the form
    least(as_of, ingested_at) then judges each row by when it was written,
    which is as_of's meaning for every row written before as_of.
    The setting is read in a scalar subquery, which PostgreSQL evaluates once
    per query: as a plain expression it was read and parsed for every row (5 s
    of a full load's 19 M polls at scale 1).
#}
{% macro as_of_in_view() -%}
    (
        select
            coalesce(
                cast(nullif(current_setting('ytempire.as_of', true), '') as timestamptz),
                cast('infinity' as timestamptz)
            )
    )
{%- endmacro %}

{# The pre-hook that gives the views a model reads this run's as_of (for the model's transaction only). #}
{% macro set_view_as_of() -%}
    select set_config('ytempire.as_of', cast({{ as_of() }} as text), true)
{%- endmacro %}
