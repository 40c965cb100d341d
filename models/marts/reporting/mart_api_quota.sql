{#
    One row per (api_account, quota_date) with calls up to as_of: YouTube
    quota units used that Pacific-time day (Google's quota day), units left of
    the 10,000 an account gets per day (never below 0), calls and error calls
    (HTTP status 400 or above). Every call's units count, errors included.
#}

{% set daily_quota_units = 10000 %}

with

calls as (

    select * from {{ ref('fact_api_calls') }}

),

daily as (

    select
        api_account,
        quota_date,
        coalesce(sum(quota_units), 0) as units_used,
        count(*) as calls,
        count(*) filter (where is_error) as error_calls,
        min(called_at) as first_call_at,
        max(called_at) as last_call_at
    from calls
    where called_at <= {{ as_of() }}
    group by
        api_account,
        quota_date

),

final as (

    select
        api_account,
        quota_date,
        cast(units_used as integer) as units_used,
        cast(greatest({{ daily_quota_units }} - units_used, 0) as integer) as units_remaining,
        cast(calls as integer) as calls,
        cast(error_calls as integer) as error_calls,
        {{ daily_quota_units }} as daily_quota_units,
        quota_date = cast(({{ as_of() }} at time zone 'America/Los_Angeles') as date) as is_current_quota_day,
        first_call_at,
        last_call_at
    from daily

)

select * from final
