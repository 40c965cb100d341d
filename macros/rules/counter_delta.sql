{#
    Per-poll delta of a cumulative counter: this poll minus the previous poll of
    the same video (by captured_at); the first poll's delta is its value; a
    negative difference (a YouTube correction) is clamped to 0.
    `previous` is the counter's value at the previous poll (null for the first).
#}
{% macro counter_delta(current, previous) -%}
    case
        when {{ previous }} is null then coalesce({{ current }}, 0)
        else greatest(coalesce({{ current }}, 0) - {{ previous }}, 0)
    end
{%- endmacro %}
