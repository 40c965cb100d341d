{#
    Where every raw row went, per raw table: used (in the staging model),
    superseded (a later delivery of the same key replaced it: a duplicate
    poll or cost_id, a revenue restatement) or quarantined (unusable; listed
    by quarantine_<table> with its reason). The invariant, tested in
    _int_quality__models.yml:

        raw_rows = used_rows + superseded_rows + quarantined_rows

    raw_rows and superseded_rows come from the raw table itself (superseded =
    usable rows minus distinct usable keys, with the same quarantine rule
    macros as staging); used_rows and quarantined_rows are the row counts of
    the staging and quarantine relations. So the test fails when staging
    drops, keeps twice or invents a row, or a quarantine relation misses one.

    For video_metrics two subsets of the used polls are counted as well:
    late_arrival_rows (delivered after a poll of the same video captured
    later had been delivered) and counter_correction_rows (a counter below
    the previous poll's, handled by int_video_metrics_deltaed); null for the
    other tables.

    Reads the raw sources although it is not a staging model: an audit of raw
    rows has to count them where they are. A view: it costs nothing on the
    5-minute refresh; reading it scans the raw tables.
#}

{% set tables = [
    {'name': 'users', 'source': 'platform', 'staging': 'stg_platform__users',
     'quarantine': none, 'key': ['user_id'], 'rule': none},
    {'name': 'channels', 'source': 'platform', 'staging': 'stg_platform__channels',
     'quarantine': 'quarantine_channels', 'key': ['channel_id'], 'rule': 'channels_quarantine_reason'},
    {'name': 'videos', 'source': 'platform', 'staging': 'stg_platform__videos',
     'quarantine': 'quarantine_videos', 'key': ['video_id'], 'rule': 'videos_quarantine_reason'},
    {'name': 'video_metrics', 'source': 'youtube', 'staging': 'stg_youtube__video_metrics',
     'quarantine': 'quarantine_video_metrics', 'key': ['video_id', 'captured_at'],
     'rule': 'video_metrics_quarantine_reason', 'lookup': true},
    {'name': 'video_costs', 'source': 'platform', 'staging': 'stg_platform__video_costs',
     'quarantine': 'quarantine_video_costs', 'key': ['cost_id'],
     'rule': 'video_costs_quarantine_reason', 'lookup': true},
    {'name': 'video_revenue', 'source': 'youtube', 'staging': 'stg_youtube__video_revenue',
     'quarantine': 'quarantine_video_revenue', 'key': ['video_id', 'revenue_date'],
     'rule': 'video_revenue_quarantine_reason', 'lookup': true},
    {'name': 'generation_jobs', 'source': 'platform', 'staging': 'stg_platform__generation_jobs',
     'quarantine': 'quarantine_generation_jobs', 'key': ['job_id'], 'rule': 'generation_jobs_quarantine_reason'},
    {'name': 'api_quota_usage', 'source': 'youtube', 'staging': 'stg_youtube__api_quota_usage',
     'quarantine': none, 'key': ['call_id'], 'rule': none},
] %}

with

known_videos as (

    select video_id from {{ source('platform', 'videos') }}

),

{% for table in tables %}
raw_{{ table.name }} as (

    select * from {{ source(table.source, table.name) }}

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
classified_{{ table.name }} as (

    select
        {% for column in table.key %}
        raw_row.{{ column }},
        {% endfor %}
        {% if table.rule and table.lookup %}
        {{ context[table.rule]('raw_row', 'known_videos') }} as reason
        {% elif table.rule %}
        {{ context[table.rule]('raw_row') }} as reason
        {% else %}
        case when {{ table.key | join(' is null or ') }} is null then 'null_key' end as reason
        {% endif %}
    from raw_{{ table.name }} as raw_row
    {% if table.lookup %}
    left join known_videos
        on raw_row.video_id = known_videos.video_id
    {% endif %}

),

raw_counts_{{ table.name }} as (

    select
        count(*) as raw_rows,
        count(*) filter (where reason is null)
        - count(distinct {{ key }}) filter (where reason is null) as superseded_rows
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
