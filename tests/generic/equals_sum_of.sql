{#
    Fails for every row where the column is not the sum of the `parts`
    columns (a null part counts as 0, a null column fails). The accounting
    invariant of int_raw_rows_accounted: raw rows = used + superseded +
    quarantined.
#}
{% test equals_sum_of(model, column_name, parts) %}

select *
from {{ model }}
where
    {{ column_name }} is distinct from (
        {% for part in parts %}coalesce({{ part }}, 0){% if not loop.last %} + {% endif %}{% endfor %}
    )

{% endtest %}
