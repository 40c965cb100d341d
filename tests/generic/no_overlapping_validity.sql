{#
    Fails for every version of an entity whose validity interval
    [valid_from, valid_to) overlaps an earlier-starting version of the same
    entity, or is inverted (valid_to before valid_from). valid_to null means
    "still valid" (open-ended). The SCD2 check of the snapshots and of the
    dimensions built on them: at any instant at most one version is valid, so a
    fact joined on `event_at >= valid_from and (valid_to is null or
    event_at < valid_to)` matches at most one version.

    Sorting each entity's versions by (valid_from, valid_to), a version overlaps
    an earlier one exactly when it starts before the latest end seen so far.
#}
{% test no_overlapping_validity(model, entity_id, valid_from='dbt_valid_from', valid_to='dbt_valid_to') %}

with

versions as (

    select
        {{ entity_id }} as entity_id,
        {{ valid_from }} as valid_from,
        {{ valid_to }} as valid_to
    from {{ model }}

),

compared as (

    select
        entity_id,
        valid_from,
        valid_to,
        max(coalesce(valid_to, 'infinity')) over (
            partition by entity_id
            order by valid_from, valid_to nulls last
            rows between unbounded preceding and 1 preceding
        ) as latest_earlier_valid_to
    from versions

),

broken as (

    select
        entity_id,
        valid_from,
        valid_to,
        latest_earlier_valid_to,
        case
            when valid_to < valid_from then 'inverted interval'
            else 'overlaps an earlier version'
        end as problem
    from compared
    where
        valid_to < valid_from
        or valid_from < latest_earlier_valid_to

)

select * from broken

{% endtest %}
