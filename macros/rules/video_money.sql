{# The cost categories of a cost line item (the raw contract's cost_category values). #}
{% macro cost_categories() -%}
    {{ return(['ai', 'api', 'compute', 'storage', 'bandwidth']) }}
{%- endmacro %}

{# The provider subcategories of a cost line item (the raw contract's cost_subcategory values). #}
{% macro cost_subcategories() -%}
    {{ return(['openai', 'elevenlabs', 'stability_ai', 'pexels', 'youtube_api', 'cpu', 'gpu', 'storage', 'bandwidth', 'other']) }}
{%- endmacro %}

{# The cost buckets of a video's cost (macro cost_bucket), cheapest first. #}
{% macro cost_buckets() -%}
    {{ return(['under_1', '1_to_2', '2_to_3', 'over_3']) }}
{%- endmacro %}


{#
    What a video's cost line items add up to, as aggregate columns over the
    fact_costs rows `costs` (grouped by video): per category, in total, how
    many, the first and last incurred_at. int_video_money_totals and
    mart_video_economics sum with these same expressions.
#}
{% macro video_cost_sums(costs) -%}
    {%- for category in cost_categories() %}
    sum({{ costs }}.total_cost_cents) filter (where {{ costs }}.cost_category = '{{ category }}')
        as {{ category }}_cost_cents,
    {%- endfor %}
    sum({{ costs }}.total_cost_cents) as total_cost_cents,
    count(*) as cost_line_items,
    min({{ costs }}.incurred_at) as first_cost_incurred_at,
    max({{ costs }}.incurred_at) as last_cost_incurred_at
{%- endmacro %}


{# What a video's revenue days add up to, over the fact_revenue rows `revenue` (grouped by video). #}
{% macro video_revenue_sums(revenue) -%}
    sum({{ revenue }}.total_revenue_cents) as total_revenue_cents,
    max({{ revenue }}.revenue_date) as last_revenue_date
{%- endmacro %}
