{#
    One row per (api_account, quota_date) with calls up to as_of: YouTube
    quota units used that Pacific-time day (Google's quota day), units left of
    the 10,000 an account gets per day (never below 0), calls and error calls
    (HTTP status 400 or above). Every call's units count, errors included.

    A day whose calls all came at or before as_of is taken from
    int_api_quota_daily (kept incrementally); a day with calls on both sides
    of as_of (as_of's own day when an earlier instant is replayed) is summed
    from its calls up to as_of; a day whose calls all came after as_of is
    left out.
#}

{% set daily_quota_units = 10000 %}

with

daily_totals as (

    select * from {{ ref('int_api_quota_daily') }}

),

calls as (

    select * from {{ ref('fact_api_calls') }}

),

days_across_as_of as (

    select
        api_account,
        quota_date
    from daily_totals
    where
        first_call_at <= {{ as_of() }}
        and last_call_at > {{ as_of() }}

),

days_up_to_as_of as (

    select
        calls.api_account,
        calls.quota_date,
        {{ api_quota_day_sums('calls') }}
    from calls
    inner join days_across_as_of
        on
            calls.api_account = days_across_as_of.api_account
            and calls.quota_date = days_across_as_of.quota_date
    where
        calls.called_at <= {{ as_of() }}
        -- through fact_api_calls' quota_date index rather than every call
        and calls.quota_date >= (select min(crossing.quota_date) from days_across_as_of as crossing)
    group by
        calls.api_account,
        calls.quota_date

),

complete_days as (

    select
        api_account,
        quota_date,
        units_used,
        calls,
        error_calls,
        first_call_at,
        last_call_at
    from daily_totals
    where last_call_at <= {{ as_of() }}

),

-- Both have the columns of api_quota_day_sums, in its order.
daily as (

    select * from complete_days
    union all
    select * from days_up_to_as_of

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
