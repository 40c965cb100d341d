{#
    Error: every published video (dim_video status 'published', published at
    or before as_of) has at least one cost line item in fact_costs. Every
    video is generated before it is published, so a published video without
    costs means cost rows were lost (or quarantined: see
    stg_platform__video_costs_quarantined) and its economics would read as free.
#}

with

videos as (

    select * from {{ ref('dim_video') }}

),

costs as (

    select * from {{ ref('fact_costs') }}

),

costless as (

    select
        videos.video_id,
        videos.channel_id,
        videos.published_at
    from videos
    where
        videos.status = 'published'
        and videos.published_at <= {{ as_of() }}
        and not exists (
            select 1
            from costs
            where costs.video_id = videos.video_id
        )

)

select * from costless
