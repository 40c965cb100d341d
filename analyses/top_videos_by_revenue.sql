{#
    The top `top_n` videos by revenue over the 7 days up to as_of (revenue
    dates from as_of's UTC date - 6 through as_of's date; latest restatements
    only). Ties on revenue are ordered by video_id so the list is the same on
    every run; revenue_rank shows the ties (rank(), 1 = highest).
#}

{% set top_n = 10 %}

with

revenue as (

    select * from {{ ref('fact_revenue') }}

),

videos as (

    select * from {{ ref('dim_video') }}

),

channels as (

    select * from {{ ref('dim_channel') }}

),

channels_at_as_of as (

    select
        channel_id,
        channel_name
    from channels
    where
        {{ valid_at('channels', as_of()) }}
        and not channels.is_deleted

),

video_revenue as (

    select
        video_id,
        sum(total_revenue_cents) as revenue_cents,
        sum(ad_revenue_cents) as ad_revenue_cents
    from revenue
    where revenue_date between {{ as_of_date() }} - 6 and {{ as_of_date() }}
    group by video_id

),

ranked as (

    select
        video_id,
        revenue_cents,
        ad_revenue_cents,
        rank() over (order by revenue_cents desc) as revenue_rank,
        row_number() over (order by revenue_cents desc, video_id asc) as list_position
    from video_revenue

),

final as (

    select
        ranked.list_position,
        ranked.revenue_rank,
        ranked.video_id,
        videos.title,
        videos.channel_id,
        channels_at_as_of.channel_name,
        videos.content_type,
        videos.published_at,
        round(ranked.revenue_cents / 100.0, 2) as revenue_usd,
        round(ranked.ad_revenue_cents / 100.0, 2) as ad_revenue_usd
    from ranked
    left join videos
        on ranked.video_id = videos.video_id
    left join channels_at_as_of
        on videos.channel_id = channels_at_as_of.channel_id
    where ranked.list_position <= {{ top_n }}

)

select * from final
order by list_position asc
