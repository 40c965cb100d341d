{#
    Raw channels rows that cannot be used, each with its reason (macro
    channels_quarantine_reason) and its raw values.
#}

with

source as (

    select * from {{ source('platform', 'channels') }}

),

classified as (

    select
        *,
        {{ channels_quarantine_reason('source') }} as reason,
        to_jsonb(source) as raw_values
    from source

),

final as (

    select
        {{ quarantine_columns('channels', 'channel_id', 'updated_at') }}
    from classified
    where reason is not null

)

select * from final
