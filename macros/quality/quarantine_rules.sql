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
    The domain of a number or a time (docs/data_quality.md, "Domains"):
    - dq_not_a_number: NaN or plus/minus Infinity, which numeric columns can
      hold and no sum, average or JSON value survives;
    - dq_above: above a ceiling var, chosen so that a row at the ceiling
      still fits every mart's type (docs/data_quality.md);
    - dq_before_epoch: earlier than the platform's first day (var
      dq_platform_epoch, 2020-01-01): nothing of YTEMPIRE happened before it.
#}
{% macro dq_not_a_number(columns) -%}
    {#- NaN sorts above every number and abs() turns -Infinity into Infinity, so one comparison covers
        the three values (a null column is left out by greatest(), as it never matched before) -#}
    greatest({% for column in columns %}abs({{ column }}){% if not loop.last %}, {% endif %}{% endfor %})
        >= cast('Infinity' as numeric)
{%- endmacro %}

{# The ceiling vars and their defaults (dbt_project.yml sets them; check_vars() checks them). #}
{% macro dq_ceilings() -%}
    {{ return({'dq_max_counter': 10000000000, 'dq_max_amount_cents': 1000000000, 'dq_max_video_seconds': 43200}) }}
{%- endmacro %}

{% macro dq_above(columns, ceiling_var) -%}
    greatest({{ columns | join(', ') }}) > {{ non_negative_number_var(ceiling_var, dq_ceilings()[ceiling_var]) }}
{%- endmacro %}

{% macro dq_before_epoch(columns) -%}
    least({{ columns | join(', ') }}) < timestamptz '{{ date_var("dq_platform_epoch", "2020-01-01") }} 00:00:00+00'
{%- endmacro %}

{#
    dq_after_now: a state table's time (a row of users, channels, videos,
    generation_jobs, or an API call) later than the moment the row is read,
    plus the tolerance. Those tables have no ingested_at; a row that exists
    now was written before now, so a time beyond it is a wrong clock. Left in,
    an updated_at in 2099 would freeze the entity's history (the snapshot's
    timestamp strategy ignores every later, smaller updated_at) and a call
    dated 2099 would move fact_api_calls' watermark past every real call.
    The rule reads the wall clock, not as_of: a row quarantined by it is
    admitted once the clock passes it, whatever the run's as_of.
#}
{% macro dq_after_now(columns) -%}
    greatest({{ columns | join(', ') }}) > now()
        + interval '{{ non_negative_number_var("dq_future_capture_tolerance_minutes", 60) }} minutes'
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
    {#- counts and measures of a poll; the click-through rate (a fraction) and the estimated revenue
        (an amount) have ceilings of their own. The whole counts (bigint in raw.video_metrics) and the
        measures (numeric) are compared in two groups: least() or greatest() over both would cast every
        count to numeric, on every raw poll read, for the same result -#}
    {%- set whole_counts = [
        row ~ '.views', row ~ '.likes', row ~ '.dislikes', row ~ '.comments', row ~ '.shares',
        row ~ '.impressions', row ~ '.subscribers_gained', row ~ '.subscribers_lost'
    ] -%}
    {%- set measured_counts = [row ~ '.watch_time_minutes', row ~ '.average_view_duration_seconds'] -%}
    {%- set numerics = [
        row ~ '.watch_time_minutes', row ~ '.average_view_duration_seconds',
        row ~ '.click_through_rate', row ~ '.estimated_revenue_cents'
    ] -%}
    case
        when {{ row }}.video_id is null or {{ row }}.captured_at is null then 'null_key'
        when {{ row }}.ingested_at is null then 'null_required'
        when {{ videos }}.video_id is null then 'unknown_video'
        when
            {{ row }}.captured_at > least({{ as_of_in_view() }}, {{ row }}.ingested_at)
            + interval '{{ non_negative_number_var("dq_future_capture_tolerance_minutes", 60) }} minutes'
            then 'future_capture'
        when {{ dq_before_epoch([row ~ '.captured_at', row ~ '.ingested_at']) }} then 'before_epoch'
        when {{ dq_not_a_number(numerics) }} then 'not_a_number'
        when
            least({{ whole_counts | join(', ') }}) < 0
            or least({{ numerics | join(', ') }}) < 0
            then 'negative_counter'
        when
            {{ dq_above(whole_counts, 'dq_max_counter') }}
            or {{ dq_above(measured_counts, 'dq_max_counter') }}
            or {{ row }}.click_through_rate > 1
            or {{ dq_above([row ~ '.estimated_revenue_cents'], 'dq_max_amount_cents') }}
            then 'implausible_value'
    end
{%- endmacro %}

{#
    video_costs. A cost without a video (video_id null) is a channel-level
    cost, not an unknown video. A cost line is a charge: a negative amount or
    quantity is quarantined (the platform records no credits; a refund would
    need a cost category of its own, docs/decisions.md).
#}
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
        when
            {{ row }}.incurred_at > {{ row }}.ingested_at
            + interval '{{ non_negative_number_var("dq_future_capture_tolerance_minutes", 60) }} minutes'
            then 'future_timestamp'
        when {{ dq_before_epoch([row ~ '.incurred_at', row ~ '.ingested_at']) }} then 'before_epoch'
        when {{ dq_not_a_number([row ~ '.total_cost_cents', row ~ '.quantity']) }} then 'not_a_number'
        when {{ row }}.total_cost_cents < 0 or {{ row }}.quantity < 0 then 'negative_amount'
        when
            {{ dq_above([row ~ '.total_cost_cents'], 'dq_max_amount_cents') }}
            then 'implausible_value'
    end
{%- endmacro %}

{# video_revenue: five components, each a non-negative amount of the revenue_date (UTC). #}
{% macro video_revenue_quarantine_reason(row, videos) -%}
    {%- set components = [
        row ~ '.ad_revenue_cents', row ~ '.sponsorship_revenue_cents', row ~ '.affiliate_revenue_cents',
        row ~ '.membership_revenue_cents', row ~ '.super_chat_revenue_cents'
    ] -%}
    case
        when {{ row }}.video_id is null or {{ row }}.revenue_date is null then 'null_key'
        when {{ row }}.reported_at is null then 'null_required'
        when {{ videos }}.video_id is null then 'unknown_video'
        when
            {{ row }}.revenue_date > cast(
                ({{ row }}.reported_at
                 + interval '{{ non_negative_number_var("dq_future_capture_tolerance_minutes", 60) }} minutes')
                at time zone 'UTC' as date
            )
            then 'future_timestamp'
        when {{ dq_before_epoch([row ~ '.revenue_date', row ~ '.reported_at']) }} then 'before_epoch'
        when {{ dq_not_a_number(components) }} then 'not_a_number'
        when least({{ components | join(', ') }}) < 0 then 'negative_amount'
        when {{ dq_above(components, 'dq_max_amount_cents') }} then 'implausible_value'
    end
{%- endmacro %}

{#
    The state tables (users, channels, videos, generation_jobs) hold each
    entity's current row. Besides the values the marts classify by, their
    times must be on the platform's clock (dq_after_now, dq_before_epoch).
    A quarantined current row leaves the entity out of staging, so the
    snapshot sees it as deleted until the row is fixed (docs/data_quality.md).
#}

{# users: the monthly goal is an amount of dollars the revenue tracking divides by. #}
{% macro users_quarantine_reason(row) -%}
    case
        when {{ row }}.user_id is null then 'null_key'
        when {{ dq_after_now([row ~ '.created_at', row ~ '.updated_at']) }} then 'future_timestamp'
        when {{ dq_before_epoch([row ~ '.created_at', row ~ '.updated_at']) }} then 'before_epoch'
        when {{ dq_not_a_number([row ~ '.target_monthly_revenue_usd']) }} then 'not_a_number'
        when {{ row }}.target_monthly_revenue_usd < 0 then 'negative_amount'
    end
{%- endmacro %}

{# videos: status and category decide what the marts count (published, by category); the duration its content type. #}
{% macro videos_quarantine_reason(row) -%}
    {%- set times = [row ~ '.created_at', row ~ '.updated_at', row ~ '.published_at', row ~ '.deleted_at'] -%}
    case
        when {{ row }}.video_id is null then 'null_key'
        when
            not {{ dq_is_accepted(row ~ '.status', 'video_status') }}
            or not {{ dq_is_accepted(row ~ '.video_category', 'video_category') }}
            then 'unknown_value'
        when {{ dq_after_now(times) }} then 'future_timestamp'
        when {{ dq_before_epoch(times) }} then 'before_epoch'
        when
            {{ row }}.duration_seconds < 0
            or {{ dq_above([row ~ '.duration_seconds'], 'dq_max_video_seconds') }}
            then 'implausible_value'
    end
{%- endmacro %}

{# channels: status decides active_channels. #}
{% macro channels_quarantine_reason(row) -%}
    case
        when {{ row }}.channel_id is null then 'null_key'
        when not {{ dq_is_accepted(row ~ '.status', 'channel_status') }} then 'unknown_value'
        when {{ dq_after_now([row ~ '.created_at', row ~ '.updated_at']) }} then 'future_timestamp'
        when {{ dq_before_epoch([row ~ '.created_at', row ~ '.updated_at']) }} then 'before_epoch'
    end
{%- endmacro %}

{#
    generation_jobs: status decides the pipeline counts; the times its
    completion minutes (a job cannot start before it was queued, nor
    complete before it started).
#}
{% macro generation_jobs_quarantine_reason(row) -%}
    {%- set times = [row ~ '.queued_at', row ~ '.started_at', row ~ '.completed_at', row ~ '.updated_at'] -%}
    case
        when {{ row }}.job_id is null then 'null_key'
        when not {{ dq_is_accepted(row ~ '.status', 'job_status') }} then 'unknown_value'
        when {{ dq_after_now(times) }} then 'future_timestamp'
        when {{ dq_before_epoch(times) }} then 'before_epoch'
        when {{ row }}.retry_count < 0 then 'negative_counter'
        when
            {{ row }}.started_at < {{ row }}.queued_at
            or {{ row }}.completed_at < coalesce({{ row }}.started_at, {{ row }}.queued_at)
            then 'implausible_value'
    end
{%- endmacro %}

{# api_quota_usage: the units a call used, counted against its account's Pacific-time day. #}
{% macro api_quota_usage_quarantine_reason(row) -%}
    case
        when {{ row }}.call_id is null then 'null_key'
        when {{ row }}.called_at is null or {{ row }}.quota_units is null then 'null_required'
        when {{ dq_after_now([row ~ '.called_at']) }} then 'future_timestamp'
        when {{ dq_before_epoch([row ~ '.called_at']) }} then 'before_epoch'
        when {{ row }}.quota_units < 0 then 'negative_counter'
    end
{%- endmacro %}

{#
    The columns every stg_<source>__<table>_quarantined relation has, in this order, from a
    CTE `classified` holding the raw row's columns plus `reason` and `raw_values`
    (to_jsonb of the raw row). quarantine_key tells apart rows that are
    identical in every column (their occurrence number). The occurrence is
    counted within (ingested_at, raw values): the raw values hold the
    ingested_at column, so the groups are the same as by raw values alone,
    and a filter on the relation's ingested_at (the data tests' window)
    reaches the raw table's index instead of waiting for a window function
    over every raw row.
#}
{% macro quarantine_columns(source_table, record_key, ingested_at) -%}
    md5(
        cast(raw_values as text) || '#' || cast(
            row_number() over (
                partition by cast({{ ingested_at }} as timestamptz), cast(raw_values as text)
                order by reason
            ) as text
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
    jsonb (less the `personal` columns: no e-mail leaves raw) and the columns
    quarantine_columns() lists. Every quarantine relation
    is this select over its own base model.
#}
{% macro quarantined_rows(base, source_table, record_key, ingested_at, personal=[]) -%}
    select
        {{ quarantine_columns(source_table, record_key, ingested_at) }}
    from (
        select
            *,
            quarantine_reason as reason,
            to_jsonb({{ base }}) - 'quarantine_reason'{% for column in personal %} - '{{ column }}'{% endfor %} as raw_values
        from {{ base }}
        where quarantine_reason is not null
    ) as classified
{%- endmacro %}
