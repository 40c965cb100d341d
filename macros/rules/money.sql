{# RPM in USD = revenue_usd / views × 1000; NULL when views = 0 (undefined, not zero). #}
{% macro rpm_usd(revenue_cents, views) -%}
    case
        when coalesce({{ views }}, 0) = 0 then null
        else round(cast({{ revenue_cents }} as numeric) / 100.0 / {{ views }} * 1000, 4)
    end
{%- endmacro %}

{# ROI % = (revenue − cost) / cost × 100; NULL when cost is 0 (undefined is not zero). #}
{% macro roi_pct(revenue_cents, cost_cents) -%}
    case
        when coalesce({{ cost_cents }}, 0) = 0 then null
        else round(cast({{ revenue_cents }} - {{ cost_cents }} as numeric) / {{ cost_cents }} * 100, 2)
    end
{%- endmacro %}

{# Cost bucket of a cost in cents: under_1 (< 100), 1_to_2 (< 200), 2_to_3 (<= 300), over_3. #}
{% macro cost_bucket(cost_cents) -%}
    case
        when {{ cost_cents }} < 100 then 'under_1'
        when {{ cost_cents }} < 200 then '1_to_2'
        when {{ cost_cents }} <= 300 then '2_to_3'
        else 'over_3'
    end
{%- endmacro %}

{# Budget alert level of a video's cost: 'critical' at >= var cost_critical_cents, 'warning' at >= var cost_warning_cents. #}
{% macro cost_alert_level(cost_cents) -%}
    case
        when {{ cost_cents }} >= {{ non_negative_number_var('cost_critical_cents', 300) }} then 'critical'
        when {{ cost_cents }} >= {{ non_negative_number_var('cost_warning_cents', 250) }} then 'warning'
    end
{%- endmacro %}

{# RPM tier of an RPM in USD: above 5 'high', above 2 'average', otherwise 'needs_optimization'; NULL when RPM is (no views). #}
{% macro rpm_tier(rpm) -%}
    case
        when {{ rpm }} > 5 then 'high'
        when {{ rpm }} > 2 then 'average'
        when {{ rpm }} is not null then 'needs_optimization'
    end
{%- endmacro %}
