{#
    Snapshot bookkeeping time as timestamptz, matching the sources' updated_at
    (timestamptz); dbt-postgres' default is a timestamp without time zone.
#}
{% macro postgres__snapshot_get_time() -%}
    current_timestamp
{%- endmacro %}
