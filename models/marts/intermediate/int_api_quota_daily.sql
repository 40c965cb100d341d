{#
    Per (api_account, Pacific quota day), over all the account's calls of the
    day: units used, calls, error calls, first and last called_at.
    mart_api_quota reads these totals instead of summing every call on each
    refresh (fact_api_calls grows by every call made, about 12 k a day at
    scale 1), and sums from fact_api_calls only the days with calls after its
    as_of.

    Incremental: the (account, day) pairs with calls at or after the watermark
    (the newest last_call_at less the lookback; fact_api_calls loads by
    called_at the same way) are summed again from all their calls.
#}
{{
    config(
        materialized='incremental',
        unique_key=['api_account', 'quota_date'],
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['api_account', 'quota_date'], 'unique': true},
        ],
    )
}}

with

-- Read twice when incremental: not materialized, so each read keeps its own filters and indexes.
calls as not materialized (

    select * from {{ ref('fact_api_calls') }}

),

{% if is_incremental() %}

touched as (

    select distinct
        calls.api_account,
        calls.quota_date
    from calls
    where calls.called_at >= {{ incremental_watermark('last_call_at') }}

),

{% endif %}

final as (

    select
        calls.api_account,
        calls.quota_date,
        {{ api_quota_day_sums('calls') }}
    from calls
    {% if is_incremental() %}
    inner join touched
        on
            calls.api_account = touched.api_account
            and calls.quota_date = touched.quota_date
    {% endif %}
    group by calls.api_account, calls.quota_date

)

select * from final
