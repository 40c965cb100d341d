{#
    Raw video_revenue rows that cannot be used, each with its reason (macro
    video_revenue_quarantine_reason) and its raw values. Restatements are not
    here: they are superseded, not unusable (int_raw_rows_accounted counts them).
#}

with

source as (

    select * from {{ source('youtube', 'video_revenue') }}

),

videos as (

    select video_id from {{ source('platform', 'videos') }}

),

classified as (

    select
        source.*,
        {{ video_revenue_quarantine_reason('source', 'videos') }} as reason,
        to_jsonb(source) as raw_values
    from source
    left join videos
        on source.video_id = videos.video_id

),

final as (

    select
        {{ quarantine_columns('video_revenue', "concat_ws(' ', video_id, revenue_date)", 'reported_at') }}
    from classified
    where reason is not null

)

select * from final
