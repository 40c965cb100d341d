{#
    The calendar from the committed seed. Tagged `static`: its rows change
    only when the seed does, so `ytempire-ops refresh` leaves it to `build`.
#}
{{ config(tags=['static']) }}

with

calendar_days as (

    select * from {{ ref('seed_calendar_days') }}

),

final as (

    select
        -- the contract's columns, in the contract's order
        date_key,
        full_date,
        year,
        quarter,
        month,
        iso_week,
        day_of_week,
        day_name,
        month_name,
        is_weekend,
        is_holiday,
        fiscal_year,
        fiscal_quarter,
        -- extras
        iso_year,
        holiday_name,
        day_of_month,
        day_of_year,
        week_start_date,
        month_start_date,
        is_month_end
    from calendar_days

)

select * from final
