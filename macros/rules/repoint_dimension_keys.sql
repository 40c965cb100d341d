{#
    Post-hook of int_dimension_changes: the rows of the facts that carry
    channel_key and user_key, inside the ranges this run's changes affect,
    get the keys of the versions valid at their event's time (the same joins
    as the facts' own); the cost lines and revenue days of a video that
    appeared in or left dim_video get its video_key (null while it is
    deleted, as a rebuild gives them). Runs in the model's transaction, after
    its insert (its rows are those with changed_at = now()). Renders only the
    updates this run's changes call for (a new video re-points no channel),
    and a no-op when the run recorded no affected range, so a refresh
    without a dimension change pays one indexed lookup. A fact that does not exist yet is skipped: it
    will be built from the dimensions as they are.

    The var repoint_late_dimension_changes (default true) turns the updates
    off: the facts then keep the keys they were loaded with, which is what a
    late change did before this step existed (the tests show the difference
    with it).
#}
{% macro repoint_dimension_keys() -%}
    {#- time: the column the fact is partitioned or indexed by; day: whether it is a UTC date -#}
    {%- set facts = [
        {'name': 'fact_video_performance', 'event_at': 'loaded.captured_at', 'key': ['video_id', 'captured_at'], 'time': 'captured_at', 'day': false},
        {'name': 'fact_costs', 'event_at': 'loaded.incurred_at', 'key': ['cost_id'], 'time': 'incurred_at', 'day': false},
        {'name': 'fact_revenue', 'event_at': utc_day_end('loaded.revenue_date'), 'key': ['video_id', 'revenue_date'], 'time': 'revenue_date', 'day': true},
        {'name': 'fact_channel_daily', 'event_at': utc_day_end('loaded.activity_date'), 'key': ['channel_id', 'activity_date'], 'time': 'activity_date', 'day': true},
    ] -%}
    {%- if not execute or not is_incremental() or not var('repoint_late_dimension_changes', true) -%}
        select 1
    {%- else -%}
        {#- which dimensions this run changed: channel and user changes re-point channel_key and
            user_key, video changes video_key; only the updates a change calls for are rendered -#}
        {%- set pending -%}
            select distinct dimension from {{ this }} where changed_at = now() and affected_from is not null
        {%- endset -%}
        {%- set changed = run_query(pending).columns[0].values() -%}
        {%- if not changed -%}
            select 1
        {%- else -%}
            {%- if 'channel' in changed or 'user' in changed -%}
            {%- set channels = ref('dim_channel') -%}
            {%- set users = ref('dim_user') -%}
            {#- the affected channels and the hull of their ranges, as literals: the planner then
                reads only those channels' rows in the chunks the hull reaches, in the rows it
                updates as in the rows it joins -#}
            {%- set hull_query -%}
                select
                    string_agg(quote_literal(affected.channel_id), ', ' order by affected.channel_id),
                    cast(min(affected.affected_from) as text),
                    cast(max(affected.affected_to) as text)
                from ({{ affected_channels(channels) }}) as affected
            {%- endset -%}
            {%- set hull = run_query(hull_query).rows[0] -%}
            {%- for fact in facts if hull[0] is not none -%}
                {%- set relation = model_relation(fact.name) -%}
                {%- if relation is not none %}
update {{ relation }} as fact
set channel_key = repointed.channel_key, user_key = repointed.user_key
from (
    select
        {% for column in fact.key %}loaded.{{ column }}, {% endfor %}
        channels.channel_key,
        users.user_key
    from {{ relation }} as loaded
    inner join (
        {{ affected_channels(channels) }}
    ) as affected
        on
            loaded.channel_id = affected.channel_id
            and {{ fact.event_at }} >= affected.affected_from
            and {{ fact.event_at }} < affected.affected_to
    left join {{ channels }} as channels
        on
            loaded.channel_id = channels.channel_id
            and {{ valid_at('channels', fact.event_at) }}
    left join {{ users }} as users
        on
            channels.user_id = users.user_id
            and {{ valid_at('users', fact.event_at) }}
    where loaded.channel_id in ({{ hull[0] }}) and {{ repoint_bounds('loaded', fact, hull) }}
) as repointed
where
    {% for column in fact.key %}fact.{{ column }} = repointed.{{ column }} and {% endfor %}
    fact.channel_id in ({{ hull[0] }}) and {{ repoint_bounds('fact', fact, hull) }}
    and (fact.channel_key, fact.user_key) is distinct from (repointed.channel_key, repointed.user_key);
                {%- endif -%}
            {%- endfor %}
            {%- endif -%}
            {#- the cost lines and revenue days of a video that appeared in or left dim_video -#}
            {%- if 'video' in changed -%}
            {%- for name in ['fact_costs', 'fact_revenue'] -%}
                {%- set relation = model_relation(name) -%}
                {%- if relation is not none %}
update {{ relation }} as fact
set video_key = affected.video_key
from (
    select
        changes.entity_id as video_id,
        videos.video_key
    from {{ this }} as changes
    left join {{ ref('dim_video') }} as videos
        on changes.entity_id = videos.video_id
    where changes.changed_at = now() and changes.affected_from is not null and changes.dimension = 'video'
) as affected
where fact.video_id = affected.video_id and fact.video_key is distinct from affected.video_key;
                {%- endif -%}
            {%- endfor %}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The channels whose facts this run's changes affect, each with the hull of its affected ranges. -#}
{% macro affected_channels(channels) -%}
    select
        changed.channel_id,
        min(changed.affected_from) as affected_from,
        max(changed.affected_to) as affected_to
    from (
        select
            changes.entity_id as channel_id,
            changes.affected_from,
            changes.affected_to
        from {{ this }} as changes
        where changes.changed_at = now() and changes.affected_from is not null and changes.dimension = 'channel'
        union all
        select distinct
            cast(owned.channel_id as text) as channel_id,
            changes.affected_from,
            changes.affected_to
        from {{ this }} as changes
        inner join {{ channels }} as owned
            on changes.entity_id = cast(owned.user_id as text)
        where changes.changed_at = now() and changes.affected_from is not null and changes.dimension = 'user'
    ) as changed
    group by changed.channel_id
{%- endmacro %}


{#- The relation of the model `name` (from the graph, so that no dependency is declared), none when it does not exist. -#}
{% macro model_relation(name) -%}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', name) | first -%}
    {{- return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) -}}
{%- endmacro %}


{#- Literal bounds on a fact's time column that hold every event of the hull [hull[1], hull[2]):
    an event at t >= from is on or after from's UTC date; one before `to` on or before its date. -#}
{% macro repoint_bounds(alias, fact, hull) -%}
    {%- if fact.day -%}
        {{ alias }}.{{ fact.time }} >= cast(cast({{ "'" ~ hull[1] ~ "'" }} as timestamptz) at time zone 'UTC' as date)
        and {{ alias }}.{{ fact.time }} <= cast(cast({{ "'" ~ hull[2] ~ "'" }} as timestamptz) at time zone 'UTC' as date)
    {%- else -%}
        {{ alias }}.{{ fact.time }} >= cast({{ "'" ~ hull[1] ~ "'" }} as timestamptz)
        and {{ alias }}.{{ fact.time }} < cast({{ "'" ~ hull[2] ~ "'" }} as timestamptz)
    {%- endif -%}
{%- endmacro %}
