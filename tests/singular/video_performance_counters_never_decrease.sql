{#
    Error: after correction handling, counters never go down. In
    fact_video_performance, every poll whose views, likes, comments or shares
    are below the previous poll's (a YouTube correction) is flagged
    is_correction, and no per-poll delta is negative (a decrease gives delta
    0), so sums of deltas never count negative views. One row per broken poll.
#}

{% set counters = ['views', 'likes', 'comments', 'shares'] %}
{% set deltas = ['views', 'likes', 'dislikes', 'comments', 'shares', 'watch_time_minutes', 'impressions',
                 'subscribers_gained', 'subscribers_lost', 'estimated_revenue_cents'] %}

with

performance as (

    select * from {{ ref('fact_video_performance') }}

),

with_previous as (

    select
        video_id,
        captured_at,
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

select * from broken
