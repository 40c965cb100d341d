{#
    Warn: a video whose cost (the sum of its cost line items,
    mart_video_economics) is at or above var dq_video_cost_warn_cents ($3.00,
    the cost tracker's "must stay under $3/video"), among the videos that
    incurred a cost line in the 7 UTC days up to as_of: the same videos
    mart_alerts raises CriticalVideoCost for (over_budget_videos_are_alerted
    checks that). A warning, not an error: one expensive video is a business
    event to act on, not broken data.
#}
{{ config(severity='warn') }}

{% set window_start_at %}(cast({{ as_of_date() }} - 6 as timestamp) at time zone 'UTC'){% endset %}

with

video_economics as (

    select * from {{ ref('mart_video_economics') }}

),

over_budget as (

    select
        video_id,
        channel_id,
        total_cost_cents,
        last_cost_incurred_at
    from video_economics
    where
        total_cost_cents >= {{ non_negative_number_var('dq_video_cost_warn_cents', 300) }}
        and last_cost_incurred_at >= {{ window_start_at }}

)

select * from over_budget
