{#
    Fails for every row where the column differs from `compare_to` by more
    than `max_pct` percent of compare_to and by more than `min_difference`
    (in the column's unit; keeps rounding noise on tiny amounts from
    failing). A row where either side is null is not compared. The revenue
    reconciliation applies it twice, at the warn and at the error threshold.
#}
{% test within_percent(model, column_name, compare_to, max_pct, min_difference=0) %}

with

compared as (

    select
        *,
        abs({{ column_name }} - {{ compare_to }}) as absolute_difference,
        abs({{ compare_to }}) * {{ max_pct }} / 100.0 as allowed_difference
    from {{ model }}
    where
        {{ column_name }} is not null
        and {{ compare_to }} is not null

)

select *
from compared
where
    absolute_difference > allowed_difference
    and absolute_difference > {{ min_difference }}

{% endtest %}
