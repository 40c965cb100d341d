{#
    Cost per video by provider (fact_costs.cost_subcategory) over the videos
    produced in the 7 days up to as_of (as mart_cost_by_method_7d): for each
    provider, the videos with at least one line of it and the distribution
    of what each of them was charged by it up to as_of. All of a video's
    lines are at or after its first, so the window's lines hold them all.
    Percentiles are continuous (percentile_cont). Only providers with lines
    have a row.
#}

{% set window_start_at %}(cast({{ as_of_date() }} - 6 as timestamp) at time zone 'UTC'){% endset %}

with

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

costs as (

    select * from {{ ref('fact_costs') }}

),

produced as (

    select video_id
    from video_economics
    where
        first_cost_incurred_at >= {{ window_start_at }}
        and first_cost_incurred_at <= {{ as_of() }}

),

video_provider_costs as (

    select
        costs.video_id,
        coalesce(costs.cost_subcategory, 'unknown') as provider,
        min(costs.cost_category) as cost_category,
        sum(costs.total_cost_cents) as cost_cents
    from costs
    inner join produced
        on costs.video_id = produced.video_id
    where
        costs.incurred_at >= {{ window_start_at }}
        and costs.incurred_at <= {{ as_of() }}
    group by costs.video_id, coalesce(costs.cost_subcategory, 'unknown')

),

grouped as (

    select
        provider,
        min(cost_category) as cost_category,
        count(*) as videos,
        sum(cost_cents) as total_cost_cents,
        avg(cost_cents) as avg_cost_cents,
        percentile_cont(0.5) within group (order by cost_cents) as median_cost_cents,
        percentile_cont(0.9) within group (order by cost_cents) as p90_cost_cents,
        min(cost_cents) as min_cost_cents,
        max(cost_cents) as max_cost_cents
    from video_provider_costs
    group by provider

),

final as (

    select
        provider,
        cost_category,
        cast(videos as integer) as videos,
        round(avg_cost_cents / 100.0, 2) as avg_cost_usd,
        round(cast(median_cost_cents as numeric) / 100.0, 2) as median_cost_usd,
        round(cast(p90_cost_cents as numeric) / 100.0, 2) as p90_cost_usd,
        round(min_cost_cents / 100.0, 2) as min_cost_usd,
        round(max_cost_cents / 100.0, 2) as max_cost_usd,
        round(total_cost_cents / 100.0, 2) as total_cost_usd,
        {{ as_of() }} as as_of
    from grouped

)

select * from final
