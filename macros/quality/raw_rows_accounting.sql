{#
    The body of int_raw_rows_accounted (see that model): per raw table, where
    every raw row went. With `window_from` (a timestamptz expression), the
    tables that grow with time (those with a `loaded_at` column: the polls,
    cost lines, revenue reports and API calls) are counted over the rows
    loaded at or after it, on every side: the raw and staging rows whose
    `loaded_at` (ingested_at, reported_at, called_at: indexed on raw) is in
    the window, and the quarantined rows whose ingested_at (the same
    instant) is. The invariant holds there as it does over the whole table:
    a key's latest delivery is its staging row, and a superseded delivery
    is counted by its own load time like the others. The data test
    raw_rows_accounted_for reads it so (the test window), and a full-history
    run without a window; the reference tables (users, channels, videos,
    generation jobs) are always counted whole.

    The usable polls are int_video_metrics_deltaed's rows (there is no
    staging table of them). Its ingested_at is not indexed, but changed_at
    is, and a poll's changed_at is never before its ingested_at: the bound
    on changed_at (`used_also_after`) leaves the same rows and lets the
    window read the index.
#}
{% macro raw_rows_accounting(window_from=none) %}

{% set tables = [
    {'name': 'users', 'base': 'base_platform__users', 'staging': 'stg_platform__users',
     'quarantine': 'stg_platform__users_quarantined', 'key': ['user_id']},
    {'name': 'channels', 'base': 'base_platform__channels', 'staging': 'stg_platform__channels',
     'quarantine': 'stg_platform__channels_quarantined', 'key': ['channel_id']},
    {'name': 'videos', 'base': 'base_platform__videos', 'staging': 'stg_platform__videos',
     'quarantine': 'stg_platform__videos_quarantined', 'key': ['video_id']},
    {'name': 'video_metrics', 'base': 'base_youtube__video_metrics', 'staging': 'int_video_metrics_deltaed',
     'quarantine': 'stg_youtube__video_metrics_quarantined', 'key': ['video_id', 'captured_at'],
     'loaded_at': 'ingested_at', 'used_also_after': 'changed_at'},
    {'name': 'video_costs', 'base': 'base_platform__video_costs', 'staging': 'stg_platform__video_costs',
     'quarantine': 'stg_platform__video_costs_quarantined', 'key': ['cost_id'], 'loaded_at': 'ingested_at'},
    {'name': 'video_revenue', 'base': 'base_youtube__video_revenue', 'staging': 'stg_youtube__video_revenue',
     'quarantine': 'stg_youtube__video_revenue_quarantined', 'key': ['video_id', 'revenue_date'],
     'loaded_at': 'reported_at'},
    {'name': 'generation_jobs', 'base': 'base_platform__generation_jobs', 'staging': 'stg_platform__generation_jobs',
     'quarantine': 'stg_platform__generation_jobs_quarantined', 'key': ['job_id']},
    {'name': 'api_quota_usage', 'base': 'base_youtube__api_quota_usage', 'staging': 'stg_youtube__api_quota_usage',
     'quarantine': 'stg_youtube__api_quota_usage_quarantined', 'key': ['call_id'], 'loaded_at': 'called_at'},
] %}

with

{% for table in tables %}
{% set windowed = window_from is not none and table.loaded_at %}
classified_{{ table.name }} as (

    select * from {{ ref(table.base) }}
    {% if windowed %}where {{ table.loaded_at }} >= {{ window_from }}{% endif %}

),

used_{{ table.name }} as (

    select * from {{ ref(table.staging) }}
    {% if windowed %}
    where
        {{ table.loaded_at }} >= {{ window_from }}
        {% if table.used_also_after %}and {{ table.used_also_after }} >= {{ window_from }}{% endif %}
    {% endif %}

),

{% if table.quarantine %}
quarantined_{{ table.name }} as (

    -- a quarantine relation calls the load time ingested_at, whatever the raw column's name
    select * from {{ ref(table.quarantine) }}
    {% if windowed %}where ingested_at >= {{ window_from }}{% endif %}

),

{% endif %}
{% endfor %}
deltaed_polls as (

    select * from {{ ref('int_video_metrics_deltaed') }}
    {% if window_from is not none %}
    where changed_at >= {{ window_from }}
    {% endif %}

),

{% for table in tables %}
{% set key = 'row(' ~ (table.key | join(', ')) ~ ')' if table.key | length > 1 else table.key[0] %}
raw_counts_{{ table.name }} as (

    select
        count(*) as raw_rows,
        count(*) filter (where quarantine_reason is null)
        - count(distinct {{ key }}) filter (where quarantine_reason is null) as superseded_rows
    from classified_{{ table.name }}

),

used_counts_{{ table.name }} as (

    {% if table.name == 'video_metrics' %}
    -- late: delivered after a poll of the same video captured later had been delivered
    select
        count(*) as used_rows,
        count(*) filter (where ingested_at > first_later_ingested_at) as late_arrival_rows
    from (
        select
            ingested_at,
            min(ingested_at) over (
                partition by video_id
                order by captured_at
                rows between 1 following and unbounded following
            ) as first_later_ingested_at
        from used_{{ table.name }}
    ) as arrivals
    {% else %}
    select
        count(*) as used_rows,
        cast(null as bigint) as late_arrival_rows
    from used_{{ table.name }}
    {% endif %}

),

quarantine_counts_{{ table.name }} as (

    {% if table.quarantine %}
    select count(*) as quarantined_rows
    from quarantined_{{ table.name }}
    {% else %}
    select cast(0 as bigint) as quarantined_rows
    {% endif %}

),

counted_{{ table.name }} as (

    select
        '{{ table.name }}' as source_table,
        raw_counts_{{ table.name }}.raw_rows,
        used_counts_{{ table.name }}.used_rows,
        raw_counts_{{ table.name }}.superseded_rows,
        quarantine_counts_{{ table.name }}.quarantined_rows,
        used_counts_{{ table.name }}.late_arrival_rows
    from raw_counts_{{ table.name }}
    cross join used_counts_{{ table.name }}
    cross join quarantine_counts_{{ table.name }}

),

{% endfor %}
corrected_polls as (

    select count(*) filter (where is_correction) as counter_correction_rows
    from deltaed_polls

),

unioned as (

    {% for table in tables %}
    select * from counted_{{ table.name }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        unioned.source_table,
        unioned.raw_rows,
        unioned.used_rows,
        unioned.superseded_rows,
        unioned.quarantined_rows,
        unioned.raw_rows - unioned.used_rows - unioned.superseded_rows - unioned.quarantined_rows
            as unaccounted_rows,
        unioned.late_arrival_rows,
        case when unioned.source_table = 'video_metrics' then corrected_polls.counter_correction_rows end
            as counter_correction_rows
    from unioned
    cross join corrected_polls

)

select * from final

{% endmacro %}
