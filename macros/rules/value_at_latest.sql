{#
    Aggregate: `value` of the row with the greatest `order_column` in the
    group (a timestamptz; unique within the group, e.g. a video's polls).
    max() over [epoch, value] arrays compares the epoch first, so it picks
    that row in one hashed pass, where array_agg(... order by) or distinct on
    would sort every row. `value` must cast to numeric exactly.
#}
{% macro value_at_latest(value, order_column) -%}
    (max(array[extract(epoch from {{ order_column }}), cast({{ value }} as numeric)]))[2]
{%- endmacro %}
