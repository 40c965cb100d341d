{#
    Raw video_metrics rows that cannot be used, each with its reason and its raw
    values: the rows base_youtube__video_metrics classifies as quarantined (the reason
    codes are in docs/data_quality.md). Named by the staging convention: the
    other half of the split whose usable half is stg_youtube__video_metrics.
    Duplicate deliveries are not here: they are superseded, not unusable.
    A view: it costs nothing on the 5-minute refresh; reading it scans
    raw.video_metrics (what `ytempire-ops check` and the data tests do, not
    the refresh).
#}

with

base as (

    select * from {{ ref('base_youtube__video_metrics') }}

),

final as (

    {{ quarantined_rows(
        'base', 'video_metrics',
        "concat_ws(' ', video_id, to_char(captured_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'))",
        'ingested_at'
    ) }}

)

select * from final
