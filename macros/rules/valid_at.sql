{#
    Join condition: the SCD2 version of `dim` (an alias with valid_from /
    valid_to, valid_to null for the current version) that was valid at `event_at`.
#}
{% macro valid_at(dim, event_at) -%}
    {{ event_at }} >= {{ dim }}.valid_from
    and ({{ dim }}.valid_to is null or {{ event_at }} < {{ dim }}.valid_to)
{%- endmacro %}

{# date_key (int YYYYMMDD) of a timestamptz, bucketed by its UTC date. #}
{% macro utc_date_key(ts) -%}
    cast(to_char({{ ts }} at time zone 'UTC', 'YYYYMMDD') as integer)
{%- endmacro %}

{# date_key (int YYYYMMDD) of a date. #}
{% macro date_key(d) -%}
    cast(to_char({{ d }}, 'YYYYMMDD') as integer)
{%- endmacro %}

{# The last instant of a UTC calendar date: the dimension version in force at a day's end describes that day. #}
{% macro utc_day_end(d) -%}
    ((cast({{ d }} as timestamp) + interval '1 day' - interval '1 microsecond') at time zone 'UTC')
{%- endmacro %}
