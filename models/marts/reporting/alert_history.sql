{#
    Every episode of every alert of mart_alerts: when it opened, when it
    resolved, its last value and how long it lasted. An episode opens at the
    as_of of the first run that finds its alert in mart_alerts, stays open
    (its values and last_seen_at follow mart_alerts) while every later run
    finds it, and resolves at the as_of of the first run that does not. The
    same alert found again later opens a new episode.

    Incremental, reading mart_alerts (built just before in the same dbt run:
    it is a parent) and itself; each run writes only the episodes open before
    it and the ones it opens (delete+insert on episode_key). A run whose
    as_of is before the latest instant the history holds (a rebuild of the
    past) writes nothing: history only moves forward. full_refresh is off:
    the past of mart_alerts cannot be rebuilt, so `--full-refresh` keeps the
    table (drop it to start over). docs/decisions.md says why this is not a
    dbt snapshot.
#}
{{
    config(
        materialized='incremental',
        unique_key='episode_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        full_refresh=false,
        indexes=[
            {'columns': ['episode_key'], 'unique': true},
            {'columns': ['opened_at']},
        ],
    )
}}

with

alerts as (

    select * from {{ ref('mart_alerts') }}

),

{% if is_incremental() %}

recorded as (

    select * from {{ this }}

),

run as (

    select
        {{ as_of() }} as as_of,
        {{ as_of() }} >= coalesce(
            (select max(coalesce(recorded.resolved_at, recorded.last_seen_at)) from recorded),
            cast('-infinity' as timestamptz)
        ) as moves_forward

),

open_episodes as (

    select recorded.*
    from recorded
    cross join run
    where
        recorded.resolved_at is null
        and run.moves_forward

),

-- open before this run and open still: the latest values, the same opened_at
continued as (

    select
        open_episodes.episode_key,
        alerts.alert_key,
        alerts.alert_type,
        alerts.severity,
        alerts.entity_type,
        alerts.entity_id,
        open_episodes.opened_at,
        cast(null as timestamptz) as resolved_at,
        run.as_of as last_seen_at,
        alerts.metric_value,
        alerts.threshold,
        alerts.metric_unit,
        alerts.message
    from open_episodes
    inner join alerts on open_episodes.alert_key = alerts.alert_key
    cross join run

),

-- open before this run and gone from mart_alerts: resolved now, with the last values seen
resolved as (

    select
        open_episodes.episode_key,
        open_episodes.alert_key,
        open_episodes.alert_type,
        open_episodes.severity,
        open_episodes.entity_type,
        open_episodes.entity_id,
        open_episodes.opened_at,
        run.as_of as resolved_at,
        open_episodes.last_seen_at,
        open_episodes.metric_value,
        open_episodes.threshold,
        open_episodes.metric_unit,
        open_episodes.message
    from open_episodes
    cross join run
    where not exists (
        select 1 from alerts
        where alerts.alert_key = open_episodes.alert_key
    )

),

{% endif %}

-- in mart_alerts without an open episode: a new one
opened as (

    select
        {{ surrogate_key(['alerts.alert_key', "extract(epoch from " ~ as_of() ~ ")"]) }} as episode_key,
        alerts.alert_key,
        alerts.alert_type,
        alerts.severity,
        alerts.entity_type,
        alerts.entity_id,
        {{ as_of() }} as opened_at,
        cast(null as timestamptz) as resolved_at,
        {{ as_of() }} as last_seen_at,
        alerts.metric_value,
        alerts.threshold,
        alerts.metric_unit,
        alerts.message
    from alerts
    {% if is_incremental() %}
    cross join run
    where
        run.moves_forward
        and not exists (
            select 1 from open_episodes
            where open_episodes.alert_key = alerts.alert_key
        )
    {% endif %}

),

episodes as (

    {% if is_incremental() %}
    select * from continued
    union all
    select * from resolved
    union all
    {% endif %}
    select * from opened

),

final as (

    select
        episode_key,
        alert_key,
        alert_type,
        severity,
        entity_type,
        entity_id,
        opened_at,
        resolved_at,
        resolved_at is null as is_open,
        last_seen_at,
        cast(
            round(extract(epoch from coalesce(resolved_at, last_seen_at) - opened_at)) as bigint
        ) as duration_seconds,
        metric_value,
        threshold,
        metric_unit,
        message
    from episodes

)

select * from final
