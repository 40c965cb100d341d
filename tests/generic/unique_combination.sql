{#
    Fails for every combination of `columns` that occurs more than once: the
    grain test of multi-column keys (the project's own, as dbt packages are not
    installed here).
#}
{% test unique_combination(model, columns) %}

with

grouped as (

    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1

)

select * from grouped

{% endtest %}
