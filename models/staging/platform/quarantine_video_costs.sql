{#
    Raw video_costs rows that cannot be used, each with its reason (macro
    video_costs_quarantine_reason) and its raw values. Re-deliveries of a
    cost_id are not here: they are superseded, not unusable.
#}

with

source as (

    select * from {{ source('platform', 'video_costs') }}

),

videos as (

    select video_id from {{ source('platform', 'videos') }}

),

classified as (

    select
        source.*,
        {{ video_costs_quarantine_reason('source', 'videos') }} as reason,
        to_jsonb(source) as raw_values
    from source
    left join videos
        on source.video_id = videos.video_id

),

final as (

    select
        {{ quarantine_columns('video_costs', 'cost_id', 'ingested_at') }}
    from classified
    where reason is not null

)

select * from final
