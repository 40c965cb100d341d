{#
    The lower bound of an incremental load: the newest `column` already in the
    model's relation minus the lookback var `ingest_lookback_minutes`. Rows of
    the source at or after it are (re)processed; the rest is already loaded.
    On an empty relation it is '-infinity', so everything loads.
#}
{% macro incremental_watermark(column, relation=this) -%}
    (
        select coalesce(max({{ column }}), '-infinity'::timestamptz)
            - interval '{{ var("ingest_lookback_minutes", 10) }} minutes'
        from {{ relation }}
    )
{%- endmacro %}
