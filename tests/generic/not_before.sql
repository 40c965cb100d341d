{#
    Fails for every row where the column is earlier than `other` (a column or
    expression of the same row); a null on either side passes.
#}
{% test not_before(model, column_name, other) %}

select {{ column_name }}, {{ other }}
from {{ model }}
where {{ column_name }} < {{ other }}

{% endtest %}
