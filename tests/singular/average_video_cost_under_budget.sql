{#
    Error: the average cost per video over the 7 UTC days up to as_of
    (mart_executive_overview, videos whose first cost line item falls in the
    window) is at or above var dq_avg_video_cost_error_cents ($3.00). One
    expensive video warns (video_cost_under_budget); the average breaking the
    budget means the platform's unit economics are broken, so CI fails.
#}

with

executive_overview as (

    select * from {{ ref('mart_executive_overview') }}

),

over_budget as (

    select
        as_of,
        videos_produced_7d,
        avg_cost_per_video_cents
    from executive_overview
    where avg_cost_per_video_cents >= {{ non_negative_number_var('dq_avg_video_cost_error_cents', 300) }}

)

select * from over_budget
