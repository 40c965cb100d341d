with

source as (

    select * from {{ source('platform', 'video_costs') }}

),

-- At-least-once delivery: one row per cost_id, the latest ingested_at wins.
deduplicated as (

    select distinct on (cost_id) *
    from source
    where cost_id is not null
    order by cost_id asc, ingested_at desc

),

renamed as (

    select
        cost_id,
        cast(video_id as varchar(50)) as video_id,
        cast(channel_id as varchar(50)) as channel_id,
        cost_category,
        cost_subcategory,
        quantity,
        unit,
        total_cost_cents,
        incurred_at,
        ingested_at
    from deduplicated

)

select * from renamed
