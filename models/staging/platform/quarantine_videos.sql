{#
    Raw videos rows that cannot be used, each with its reason (macro
    videos_quarantine_reason) and its raw values.
#}

with

source as (

    select * from {{ source('platform', 'videos') }}

),

classified as (

    select
        *,
        {{ videos_quarantine_reason('source') }} as reason,
        to_jsonb(source) as raw_values
    from source

),

final as (

    select
        {{ quarantine_columns('videos', 'video_id', 'updated_at') }}
    from classified
    where reason is not null

)

select * from final
