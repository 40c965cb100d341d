{#
    Warn: hourly data missing for an active channel in the 24 complete UTC
    hours before as_of (var dq_hourly_data_hours). A channel-hour is expected
    to have data when the channel's dim_channel version valid at as_of is
    active and one of its live videos was, for the whole hour, in its first
    var dq_hourly_polling_days (7) days after publishing, when the platform
    polls at least hourly; it has data when fact_video_performance holds a
    poll of any of the channel's videos captured in the hour. A warning: a
    late poll fills the gap on a later refresh; a gap that stays means the
    poller skipped the channel.
    The polls are read once, bounded to the checked hours (so only their
    chunks), and matched to the expected channel-hours by the UTC hour.
#}
{{ config(severity='warn') }}

{% set last_hour_end %}date_trunc('hour', {{ as_of() }}, 'UTC'){% endset %}
{% set first_hour_start %}
{{ last_hour_end }} - interval '{{ non_negative_number_var('dq_hourly_data_hours', 24) }} hours'
{% endset %}

with

channels as (

    select * from {{ ref('dim_channel') }}

),

videos as (

    select * from {{ ref('dim_video') }}

),

performance as (

    select * from {{ ref('fact_video_performance') }}
    where
        captured_at >= {{ first_hour_start }}
        and captured_at < {{ last_hour_end }}

),

hours as (

    select
        hour_start,
        hour_start + interval '1 hour' as hour_end
    from generate_series(
        {{ first_hour_start }},
        {{ last_hour_end }} - interval '1 hour',
        interval '1 hour'
    ) as series (hour_start)

),

active_channels as (

    select channel_id
    from channels
    where
        {{ valid_at('channels', as_of()) }}
        and channels.status = 'active'
        and not channels.is_deleted

),

expected as (

    select distinct
        active_channels.channel_id,
        hours.hour_start,
        hours.hour_end
    from active_channels
    inner join videos
        on active_channels.channel_id = videos.channel_id
    inner join hours
        on
            videos.published_at <= hours.hour_start
            and videos.published_at
            + interval '{{ non_negative_number_var('dq_hourly_polling_days', 7) }} days' >= hours.hour_end

),

-- the UTC hours with a poll, per channel: read once (the hours' chunks only), then joined on equality
polled as (

    select distinct
        channel_id,
        date_trunc('hour', captured_at, 'UTC') as hour_start
    from performance

),

missing as (

    select
        expected.channel_id,
        expected.hour_start
    from expected
    left join polled
        on
            expected.channel_id = polled.channel_id
            and expected.hour_start = polled.hour_start
    where polled.channel_id is null

)

select * from missing
