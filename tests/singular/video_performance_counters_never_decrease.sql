{#
    Error: after correction handling, counters never go down. In
    fact_video_performance, every poll whose views, likes, comments or shares
    are below the previous poll's (a YouTube correction) is flagged
    is_correction, and no per-poll delta is negative (a decrease gives delta
    0), so sums of deltas never count negative views. One row per broken poll.

    Checks the polls loaded or changed in the test window (changed_at, see
    macros/utils/test_window.sql), each against the poll before it: the
    polls read are those captured from two days before the earliest such
    poll (polls are at least daily), a literal bound that lets the planner
    skip the older chunks. A full-history run (var full_history) checks
    every poll.
#}

{% set counters = ['views', 'likes', 'comments', 'shares'] %}
{% set deltas = ['views', 'likes', 'dislikes', 'comments', 'shares', 'watch_time_minutes', 'impressions',
                 'subscribers_gained', 'subscribers_lost', 'estimated_revenue_cents'] %}

with

{% set full_history = full_history_tests() %}
{% if not full_history %}
{% set window_where = 'changed_at >= ' ~ test_window_start() %}
{% set read_from = smallest_timestamp(
    "captured_at - interval '2 days'", ref('fact_video_performance'), window_where
) %}
{% endif %}

performance as (

    select * from {{ ref('fact_video_performance') }}
    {% if not full_history %}
    where captured_at >= {{ read_from }}
    {% endif %}

),

with_previous as (

    select
        video_id,
        captured_at,
        changed_at,
        is_correction,
        {% for counter in counters %}
        {{ counter }},
        lag({{ counter }}) over by_video as previous_{{ counter }},
        {% endfor %}
        {% for counter in deltas %}
        {{ counter }}_delta{% if not loop.last %},{% endif %}
        {% endfor %}
    from performance
    window by_video as (partition by video_id order by captured_at)

),

broken as (

    select
        video_id,
        captured_at,
        case
            when
                not coalesce(is_correction, false)
                and (
                    {% for counter in counters %}
                    {{ counter }} < previous_{{ counter }}{% if not loop.last %} or{% endif %}
                    {% endfor %}
                )
                then 'a counter went down without is_correction'
            else 'a negative delta'
        end as problem
    from with_previous
    where
        {% if not full_history %}
        {{ window_where }}
        and
        {% endif %}
        (
            (
                not coalesce(is_correction, false)
                and (
                    {% for counter in counters %}
                    {{ counter }} < previous_{{ counter }}{% if not loop.last %} or{% endif %}
                    {% endfor %}
                )
            )
            {% for counter in deltas %}
            or {{ counter }}_delta < 0
            {% endfor %}
        )

)

select * from broken
