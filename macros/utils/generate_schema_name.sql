{#
    Custom schemas are used as named (staging, intermediate, analytics, snapshots),
    never as dbt's default `<target_schema>_<custom>`. Only the `ci` target may
    isolate itself with the prefix in YTEMPIRE_SCHEMA_PREFIX (e.g. `ci_analytics`).
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set name = (custom_schema_name or target.schema) | trim -%}
    {%- set prefix = env_var('YTEMPIRE_SCHEMA_PREFIX', '') | trim -%}
    {%- if target.name == 'ci' and prefix -%}
        {{ prefix }}_{{ name }}
    {%- else -%}
        {{ name }}
    {%- endif -%}
{%- endmacro %}
