{#
    What the videos produced each day cost, by content type and generation
    method, over the 90 UTC days ending on as_of's date.

    A video belongs to the UTC date of its first cost line item (the day it
    was produced: mart_video_economics.first_cost_incurred_at, the rule of
    mart_executive_overview's avg_cost_per_video), with its whole cost up to
    as_of (mart_video_economics.total_cost_cents), whichever days its later
    lines fall on. The 7 rows' days ending on as_of's date therefore give
    mart_executive_overview's avg_cost_per_video_usd. Per-provider costs are
    the video's lines of that cost_subcategory up to as_of; all of a video's
    lines are at or after its first, so the window's lines hold them all.

    Averages are over the group's videos, a video without a line of a
    category or provider counting 0 there, so the category averages add up
    to avg_cost_per_video_usd (lines of an unknown category aside).
    Only (day, content type, method) combinations with videos have a row.
#}

{% set window_start_date %}({{ as_of_date() }} - 89){% endset %}
{% set window_start_at %}(cast({{ as_of_date() }} - 89 as timestamp) at time zone 'UTC'){% endset %}

with

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

costs as (

    select * from {{ ref('fact_costs') }}

),

produced as (

    select
        video_id,
        cast((first_cost_incurred_at at time zone 'UTC') as date) as cost_date,
        coalesce(content_type, 'unknown') as content_type,
        coalesce(generation_method, 'unknown') as generation_method,
        total_cost_cents,
        {% for category in cost_categories() %}
        {{ category }}_cost_cents,
        {% endfor %}
        cost_bucket,
        cost_alert_level
    from video_economics
    where
        first_cost_incurred_at >= {{ window_start_at }}
        and first_cost_incurred_at <= {{ as_of() }}

),

provider_costs as (

    select
        costs.video_id,
        {% for provider in cost_subcategories() %}
        sum(costs.total_cost_cents) filter (where costs.cost_subcategory = '{{ provider }}')
            as provider_{{ provider }}_cost_cents,
        {% endfor %}
        count(*) as cost_line_items
    from costs
    inner join produced
        on costs.video_id = produced.video_id
    where
        costs.incurred_at >= {{ window_start_at }}
        and costs.incurred_at <= {{ as_of() }}
    group by costs.video_id

),

grouped as (

    select
        produced.cost_date,
        produced.content_type,
        produced.generation_method,
        count(*) as videos,
        sum(produced.total_cost_cents) as total_cost_cents,
        {% for category in cost_categories() %}
        coalesce(sum(produced.{{ category }}_cost_cents), 0) as {{ category }}_cost_cents,
        {% endfor %}
        {% for provider in cost_subcategories() %}
        coalesce(sum(provider_costs.provider_{{ provider }}_cost_cents), 0) as provider_{{ provider }}_cost_cents,
        {% endfor %}
        {% for bucket in cost_buckets() %}
        count(*) filter (where produced.cost_bucket = '{{ bucket }}') as videos_{{ bucket }},
        {% endfor %}
        count(*) filter (where produced.cost_alert_level = 'warning') as videos_cost_warning,
        count(*) filter (where produced.cost_alert_level = 'critical') as videos_cost_critical
    from produced
    left join provider_costs
        on produced.video_id = provider_costs.video_id
    group by produced.cost_date, produced.content_type, produced.generation_method

),

final as (

    select
        cost_date,
        content_type,
        generation_method,
        cast(videos as integer) as videos,
        round(total_cost_cents / 100.0, 2) as total_cost_usd,
        round(total_cost_cents / 100.0 / videos, 2) as avg_cost_per_video_usd,
        {% for category in cost_categories() %}
        round({{ category }}_cost_cents / 100.0 / videos, 2) as avg_{{ category }}_cost_usd,
        {% endfor %}
        {% for provider in cost_subcategories() %}
        round(provider_{{ provider }}_cost_cents / 100.0 / videos, 2) as avg_provider_{{ provider }}_cost_usd,
        {% endfor %}
        {% for bucket in cost_buckets() %}
        cast(videos_{{ bucket }} as integer) as videos_{{ bucket }},
        {% endfor %}
        cast(videos_cost_warning as integer) as videos_cost_warning,
        cast(videos_cost_critical as integer) as videos_cost_critical,
        total_cost_cents,
        {{ date_key('cost_date') }} as date_key,
        {{ as_of() }} as as_of
    from grouped

)

select * from final
