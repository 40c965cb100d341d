{#
    NOT NULL constraints on models without an enforced contract: the large
    incremental time-series relations, whose not_null data tests would
    re-read every row on each build. A column declares it in YAML as dbt
    does for a contract,
        constraints: [{type: not_null}]
    and the database then refuses a null on every insert, over the whole
    history, at no cost to a build or a test.

    A new relation gets them on its empty table, before it is filled
    (postgres__get_create_table_as_sql), so a full build does not scan the
    rows again to check them. An existing relation built before a column
    declared its constraint gets it from not_null_post_hook on its next run
    (one scan of the table, once).
#}

{# The columns of the model being built that declare a not_null constraint (none with an enforced contract: dbt applies those). #}
{% macro not_null_columns() -%}
    {%- set columns = [] -%}
    {%- if execute and model is defined and model.resource_type == 'model'
        and not config.get('contract').enforced -%}
        {%- for name, column in model.columns.items() -%}
            {%- for constraint in column.constraints -%}
                {%- if constraint.type == 'not_null' and name not in columns -%}
                    {%- do columns.append(name) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(columns) }}
{%- endmacro %}

{# `alter table` setting NOT NULL on `columns` of `relation` (empty when there are none). #}
{% macro set_not_null_sql(relation, columns) -%}
    {%- if columns -%}
        alter table {{ relation }}
        {%- for column in columns %}
            alter column {{ adapter.quote(column) }} set not null{{ ',' if not loop.last }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{# Post-hook: the declared NOT NULL constraints the relation does not have yet. #}
{% macro not_null_post_hook() -%}
    {%- set columns = not_null_columns() -%}
    {%- if columns -%}
        {%- set query -%}
            select attribute.attname
            from pg_catalog.pg_attribute as attribute
            where
                attribute.attrelid = to_regclass('{{ this }}')
                and attribute.attnum > 0
                and not attribute.attisdropped
                and not attribute.attnotnull
                and attribute.attname in ('{{ columns | join("', '") }}')
            order by attribute.attnum
        {%- endset -%}
        {%- set missing = run_query(query).columns[0].values() | list -%}
        {%- if missing -%}
            {%- do log("not null: " ~ this ~ " (" ~ (missing | join(', ')) ~ "), checked over every row once", info=true) -%}
            {{ set_not_null_sql(this, missing) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
