{#
    Raw video_metrics rows that cannot be used, each with its reason (macro
    video_metrics_quarantine_reason) and its raw values. A view: it costs
    nothing on the 5-minute refresh and always agrees with the rule; reading
    it scans raw.video_metrics (what `ytempire-ops check` and the data tests
    do, not the refresh).
#}

with

source as (

    select * from {{ source('youtube', 'video_metrics') }}

),

videos as (

    select video_id from {{ source('platform', 'videos') }}

),

classified as (

    select
        source.*,
        {{ video_metrics_quarantine_reason('source', 'videos') }} as reason,
        to_jsonb(source) as raw_values
    from source
    left join videos
        on source.video_id = videos.video_id

),

final as (

    select
        {{ quarantine_columns(
            'video_metrics',
            "concat_ws(' ', video_id, to_char(captured_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'))",
            'ingested_at'
        ) }}
    from classified
    where reason is not null

)

select * from final
