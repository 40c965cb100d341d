{#
    What an API account's calls of a Pacific quota day add up to, as aggregate
    columns over the fact_api_calls rows `calls` (grouped by api_account and
    quota_date): units used (every call's units, errors included), calls,
    error calls (HTTP status 400 or above), first and last called_at.
    int_api_quota_daily and mart_api_quota sum with these same expressions.
#}
{% macro api_quota_day_sums(calls) -%}
    coalesce(sum({{ calls }}.quota_units), 0) as units_used,
    count(*) as calls,
    count(*) filter (where {{ calls }}.is_error) as error_calls,
    min({{ calls }}.called_at) as first_call_at,
    max({{ calls }}.called_at) as last_call_at
{%- endmacro %}
