{#
    Vars that reach SQL as text, checked first: a var set on the command line
    (`--vars`) or in dbt_project.yml is either the kind of value its SQL
    expects or the run stops with a sentence that names it. Nothing a user
    types is pasted into a statement unchecked.
#}

{# A number (int or decimal, optionally negative): returned as its text. #}
{% macro number_var(name, default=none) -%}
    {%- set value = var(name, default) -%}
    {%- set text = value | string | trim -%}
    {%- if value is none or modules.re.fullmatch('-?[0-9]+(\\.[0-9]+)?', text) is none -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a number, not '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{# A number of at least zero (a count of minutes, hours, days, cents). #}
{% macro non_negative_number_var(name, default=none) -%}
    {%- set text = number_var(name, default) -%}
    {%- if text.startswith('-') -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must not be negative, not '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{# An interval such as '1 day' or '6 hours': a whole number and a unit. #}
{% macro interval_var(name, default=none) -%}
    {%- set text = var(name, default) | string | trim -%}
    {%- if modules.re.fullmatch('[0-9]+ (minute|hour|day|week|month)s?', text) is none -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a whole number and a unit (minutes, hours, days, weeks, months), such as '1 day', not '" ~ text ~ "'"
        ) }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{# A boolean: true or false (YAML's, or the words in any case). #}
{% macro bool_var(name, default=false) -%}
    {%- set value = var(name, default) -%}
    {%- if value is boolean -%}
        {{ return(value) }}
    {%- endif -%}
    {%- set text = value | string | trim | lower -%}
    {%- if text not in ('true', 'false') -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be true or false, not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(text == 'true') }}
{%- endmacro %}

{# A date written YYYY-MM-DD. #}
{% macro date_var(name, default=none) -%}
    {%- set text = var(name, default) | string | trim -%}
    {%- if modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) is none -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date written YYYY-MM-DD, not '" ~ text ~ "'") }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{# A plain PostgreSQL identifier (lower case letters, digits, underscores; not starting with a digit). #}
{% macro identifier_var(name, default=none) -%}
    {%- set text = var(name, default) | string | trim -%}
    {%- if modules.re.fullmatch('[a-z_][a-z0-9_]{0,62}', text) is none -%}
        {{ exceptions.raise_compiler_error(
            "var " ~ name ~ " must be a plain schema name (lower case letters, digits, underscores), not '" ~ text ~ "'"
        ) }}
    {%- endif -%}
    {{ return(text) }}
{%- endmacro %}

{#
    on-run-start: every var above checked before the first node runs, whatever the selection
    (a var of a model that is not selected is still a mistake worth one sentence). Emits no SQL.
#}
{% macro check_vars() -%}
    {%- do identifier_var('raw_schema', 'raw') -%}
    {%- for name, default in [
        ('cost_warning_cents', 250), ('cost_critical_cents', 300), ('ingest_lookback_minutes', 10),
        ('hourly_window_hours', 24), ('dq_future_capture_tolerance_minutes', 60),
        ('dq_video_cost_warn_cents', 300), ('dq_avg_video_cost_error_cents', 300),
        ('dq_revenue_reconciliation_days', 7), ('dq_revenue_reconciliation_warn_pct', 2),
        ('dq_revenue_reconciliation_error_pct', 5), ('dq_revenue_reconciliation_min_cents', 1),
        ('dq_hourly_data_hours', 24), ('dq_hourly_polling_days', 7), ('test_window_days', 3),
    ] + dq_ceilings().items() | list -%}
        {%- do non_negative_number_var(name, default) -%}
    {%- endfor -%}
    {%- do interval_var('performance_chunk_interval', '1 day') -%}
    {%- do date_var('dq_platform_epoch', '2020-01-01') -%}
    {%- do bool_var('full_history', false) -%}
{%- endmacro %}
