{#
    Quarantine rules: why a raw row cannot be used, or null when it can.

    One macro per raw table, applied once, by the table's base model
    (base_<source>__<table>, column quarantine_reason). The staging model
    keeps the rows whose reason is null (then deduplicates them) and its
    stg_<source>__<table>_quarantined relation keeps the others, so the two
    always split the raw rows the same way, and int_raw_rows_accounted counts
    superseded rows from the same base model. A row gets the first reason
    that applies, in the order written. The reason codes are documented in
    docs/data_quality.md.

    `row` is the alias of the raw row; `videos` the alias of a left-joined
    lookup of base_platform__videos (video_id only), null when the video is
    unknown.
#}

{# The values the marts classify by (docs/contract/raw_tables.md); anything else is 'unknown_value'. #}
{% macro dq_accepted_values(name) -%}
    {%- set values = {
        'video_status': ['draft', 'generating', 'processing', 'scheduled', 'published', 'failed', 'archived'],
        'video_category': ['educational', 'entertainment', 'news', 'other'],
        'channel_status': ['active', 'paused', 'suspended', 'archived'],
        'job_status': ['queued', 'processing', 'completed', 'failed', 'cancelled'],
        'cost_category': ['ai', 'api', 'compute', 'storage', 'bandwidth'],
    } -%}
    {{ return(values[name]) }}
{%- endmacro %}

{# True when `column` holds one of the accepted values `name` (false for null). #}
{% macro dq_is_accepted(column, name) -%}
    coalesce({{ column }} in ('{{ dq_accepted_values(name) | join("', '") }}'), false)
{%- endmacro %}

{#
    video_metrics. future_capture: captured more than the tolerance after the
    as-of instant, or after the row itself was written; the second bound keeps
    the rule stable across runs (a row written before as_of is judged by its
    own ingested_at), so the incremental staging table and this rule agree
    whenever they look. It lives in a view (base_youtube__video_metrics), so
    as_of is read with as_of_in_view(): the staging model's pre-hook gives the
    view the refresh's as_of, not the one of the build that created the view.
#}
{% macro video_metrics_quarantine_reason(row, videos) -%}
    case
        when {{ row }}.video_id is null or {{ row }}.captured_at is null then 'null_key'
        when {{ row }}.ingested_at is null then 'null_required'
        when {{ videos }}.video_id is null then 'unknown_video'
        when
            {{ row }}.captured_at > least({{ as_of_in_view() }}, {{ row }}.ingested_at)
            + interval '{{ var("dq_future_capture_tolerance_minutes", 60) }} minutes'
            then 'future_capture'
        when
            least(
                {{ row }}.views,
                {{ row }}.likes,
                {{ row }}.dislikes,
                {{ row }}.comments,
                {{ row }}.shares,
                {{ row }}.watch_time_minutes,
                {{ row }}.average_view_duration_seconds,
                {{ row }}.impressions,
                {{ row }}.click_through_rate,
                {{ row }}.subscribers_gained,
                {{ row }}.subscribers_lost,
                {{ row }}.estimated_revenue_cents
            ) < 0
            then 'negative_counter'
    end
{%- endmacro %}

{# video_costs. A cost without a video (video_id null) is a channel-level cost, not an unknown video. #}
{% macro video_costs_quarantine_reason(row, videos) -%}
    case
        when {{ row }}.cost_id is null then 'null_key'
        when
            {{ row }}.incurred_at is null
            or {{ row }}.ingested_at is null
            or {{ row }}.total_cost_cents is null
            then 'null_required'
        when {{ row }}.video_id is not null and {{ videos }}.video_id is null then 'unknown_video'
        when not {{ dq_is_accepted(row ~ '.cost_category', 'cost_category') }} then 'unknown_value'
    end
{%- endmacro %}

{# video_revenue. #}
{% macro video_revenue_quarantine_reason(row, videos) -%}
    case
        when {{ row }}.video_id is null or {{ row }}.revenue_date is null then 'null_key'
        when {{ row }}.reported_at is null then 'null_required'
        when {{ videos }}.video_id is null then 'unknown_video'
    end
{%- endmacro %}

{# videos: status and category decide what the marts count (published, by category). #}
{% macro videos_quarantine_reason(row) -%}
    case
        when {{ row }}.video_id is null then 'null_key'
        when
            not {{ dq_is_accepted(row ~ '.status', 'video_status') }}
            or not {{ dq_is_accepted(row ~ '.video_category', 'video_category') }}
            then 'unknown_value'
    end
{%- endmacro %}

{# channels: status decides active_channels. #}
{% macro channels_quarantine_reason(row) -%}
    case
        when {{ row }}.channel_id is null then 'null_key'
        when not {{ dq_is_accepted(row ~ '.status', 'channel_status') }} then 'unknown_value'
    end
{%- endmacro %}

{# generation_jobs: status decides the pipeline counts. #}
{% macro generation_jobs_quarantine_reason(row) -%}
    case
        when {{ row }}.job_id is null then 'null_key'
        when not {{ dq_is_accepted(row ~ '.status', 'job_status') }} then 'unknown_value'
    end
{%- endmacro %}

{#
    The columns every stg_<source>__<table>_quarantined relation has, in this order, from a
    CTE `classified` holding the raw row's columns plus `reason` and `raw_values`
    (to_jsonb of the raw row). quarantine_key tells apart rows that are
    identical in every column (their occurrence number).
#}
{% macro quarantine_columns(source_table, record_key, ingested_at) -%}
    md5(
        cast(raw_values as text) || '#' || cast(
            row_number() over (partition by cast(raw_values as text) order by reason) as text
        )
    ) as quarantine_key,
    cast('{{ source_table }}' as text) as source_table,
    cast(reason as text) as reason,
    cast({{ record_key }} as text) as record_key,
    raw_values,
    cast({{ ingested_at }} as timestamptz) as ingested_at
{%- endmacro %}


{#
    The body of a `*_quarantined` relation: the rows of `base` (an import CTE
    of a base model) that have a quarantine reason, each with its raw values as
    jsonb and the columns quarantine_columns() lists. Every quarantine relation
    is this select over its own base model.
#}
{% macro quarantined_rows(base, source_table, record_key, ingested_at) -%}
    select
        {{ quarantine_columns(source_table, record_key, ingested_at) }}
    from (
        select
            *,
            quarantine_reason as reason,
            to_jsonb({{ base }}) - 'quarantine_reason' as raw_values
        from {{ base }}
        where quarantine_reason is not null
    ) as classified
{%- endmacro %}
