{#
    on-run-end hook: keeps the results of every dbt invocation that ran data or
    unit tests in `analytics.dbt_test_results`, so `ytempire-ops check` reports
    the latest test results whoever ran them (an analyst's `dbt build`, CI's
    `dbt test`). One row per test per invocation; older invocations are kept
    for 30 days.
#}
{% macro store_test_results(results) %}
    {%- if execute -%}
        {%- set tests = [] -%}
        {%- for result in results -%}
            {%- if result.node.resource_type in ('test', 'unit_test') -%}
                {%- do tests.append(result) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if tests -%}
            {%- set relation = api.Relation.create(
                database=target.database,
                schema=generate_schema_name('analytics', none),
                identifier='dbt_test_results',
            ) -%}
            create schema if not exists {{ relation.schema }};
            create table if not exists {{ relation }} (
                invocation_id text not null,
                finished_at timestamptz not null,
                unique_id text not null,
                test_name text not null,
                resource_type text not null,
                status text not null,
                failures bigint,
                message text
            );
            delete from {{ relation }} where finished_at < current_timestamp - interval '30 days';
            insert into {{ relation }} values
            {%- for result in tests %}
                (
                    '{{ invocation_id }}',
                    current_timestamp,
                    '{{ result.node.unique_id }}',
                    '{{ result.node.name }}',
                    '{{ result.node.resource_type }}',
                    '{{ result.status }}',
                    {{ result.failures if result.failures is not none else 'null' }},
                    {{ "'" ~ (result.message | string | replace("'", "''"))[:1000] ~ "'" if result.message else 'null' }}
                ){{ "," if not loop.last }}
            {%- endfor %};
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
