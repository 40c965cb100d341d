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
