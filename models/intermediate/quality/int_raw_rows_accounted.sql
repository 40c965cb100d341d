{#
    Where every raw row went, per raw table: used (in the staging model),
    superseded (a later delivery of the same key replaced it: a duplicate
    poll or cost_id, a revenue restatement) or quarantined (unusable; listed
    by stg_<source>__<table>_quarantined with its reason). The invariant, tested in
    _int_quality__models.yml:

        raw_rows = used_rows + superseded_rows + quarantined_rows

    raw_rows and superseded_rows come from the table's base model, which
    classifies every raw row (superseded = usable rows minus distinct usable
    keys); used_rows and quarantined_rows are the row counts of
    the staging and quarantine relations. So the test fails when staging
    drops, keeps twice or invents a row, or a quarantine relation misses one.

    For video_metrics two subsets of the used polls are counted as well:
    late_arrival_rows (delivered after a poll of the same video captured
    later had been delivered) and counter_correction_rows (a counter below
    the previous poll's, handled by int_video_metrics_deltaed); null for the
    other tables.

    Reads the base models, not the sources: the rows they classify are the
    raw rows, and the rule that split them is written once, there. A view:
    it costs nothing on the 5-minute refresh; reading it scans the raw tables.
#}

{% set tables = [
    {'name': 'users', 'base': 'base_platform__users', 'staging': 'stg_platform__users',
     'quarantine': 'stg_platform__users_quarantined', 'key': ['user_id']},
    {'name': 'channels', 'base': 'base_platform__channels', 'staging': 'stg_platform__channels',
     'quarantine': 'stg_platform__channels_quarantined', 'key': ['channel_id']},
    {'name': 'videos', 'base': 'base_platform__videos', 'staging': 'stg_platform__videos',
     'quarantine': 'stg_platform__videos_quarantined', 'key': ['video_id']},
    {'name': 'video_metrics', 'base': 'base_youtube__video_metrics', 'staging': 'stg_youtube__video_metrics',
     'quarantine': 'stg_youtube__video_metrics_quarantined', 'key': ['video_id', 'captured_at']},
    {'name': 'video_costs', 'base': 'base_platform__video_costs', 'staging': 'stg_platform__video_costs',
     'quarantine': 'stg_platform__video_costs_quarantined', 'key': ['cost_id']},
    {'name': 'video_revenue', 'base': 'base_youtube__video_revenue', 'staging': 'stg_youtube__video_revenue',
     'quarantine': 'stg_youtube__video_revenue_quarantined', 'key': ['video_id', 'revenue_date']},
    {'name': 'generation_jobs', 'base': 'base_platform__generation_jobs', 'staging': 'stg_platform__generation_jobs',
     'quarantine': 'stg_platform__generation_jobs_quarantined', 'key': ['job_id']},
    {'name': 'api_quota_usage', 'base': 'base_youtube__api_quota_usage', 'staging': 'stg_youtube__api_quota_usage',
     'quarantine': 'stg_youtube__api_quota_usage_quarantined', 'key': ['call_id']},
] %}

with

{% for table in tables %}
classified_{{ table.name }} as (

    select * from {{ ref(table.base) }}

),

used_{{ table.name }} as (

    select * from {{ ref(table.staging) }}

),

{% if table.quarantine %}
quarantined_{{ table.name }} as (

    select * from {{ ref(table.quarantine) }}

),

{% endif %}
{% endfor %}
deltaed_polls as (

    select * from {{ ref('int_video_metrics_deltaed') }}

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
