{# Schema of the raw sources: the var `raw_schema` (default `raw`). #}
{% macro raw_schema() -%}
    {{ var('raw_schema', 'raw') }}
{%- endmacro %}
