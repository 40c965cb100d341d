{#
    dbt-postgres refreshes a materialized view with a plain REFRESH, which
    blocks every reader until it finishes. Refresh CONCURRENTLY whenever
    PostgreSQL allows it: the view is populated and has a plain unique index
    (every materialized view of the project declares one on its grain).
#}
{% macro postgres__refresh_materialized_view(relation) %}
    {%- set can_run_concurrently = false -%}
    {%- if execute -%}
        {%- set check -%}
            select
                c.relispopulated
                and exists (
                    select 1
                    from pg_index as i
                    where
                        i.indrelid = c.oid
                        and i.indisunique
                        and i.indisvalid
                        and i.indpred is null
                        and i.indexprs is null
                ) as ok
            from pg_class as c
            inner join pg_namespace as n on c.relnamespace = n.oid
            where n.nspname = '{{ relation.schema }}' and c.relname = '{{ relation.identifier }}'
        {%- endset -%}
        {%- set rows = run_query(check).rows -%}
        {%- set can_run_concurrently = rows | length > 0 and rows[0]['ok'] -%}
    {%- endif -%}
    refresh materialized view {% if can_run_concurrently %}concurrently {% endif %}{{ relation }}
{% endmacro %}
