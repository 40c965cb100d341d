{# Content type from duration: < 60 s 'shorts', < 600 s 'standard', else 'long_form'. #}
{% macro content_type(duration_seconds) -%}
    case
        when {{ duration_seconds }} is null then null
        when {{ duration_seconds }} < 60 then 'shorts'
        when {{ duration_seconds }} < 600 then 'standard'
        else 'long_form'
    end
{%- endmacro %}
