{#
    The CLI's run history (ops.run_history, written by ytempire_ops/runs.py)
    for readers of `analytics`: the reporter role and the Operations
    dashboard read it here, never in `ops`. The command line (argv) is left
    out. A view, so every run shows as soon as it is recorded.

    The CLI creates ops.run_history when it first records a run, and `build`
    before it runs dbt. When the table does not exist yet (a plain `dbt build`
    on a new warehouse), the view is created empty with the same columns; the
    next build points it at the table.
#}

{{ config(materialized='view') }}

{%- set run_history_source = source('ops', 'run_history') -%}
{%- set run_history_table = adapter.get_relation(
    database=run_history_source.database,
    schema=run_history_source.schema,
    identifier=run_history_source.identifier,
) if execute else none -%}

with

runs as (

    {% if run_history_table is not none %}
    select * from {{ run_history_source }}
    {% else %}
    select
        cast(null as uuid) as run_id,
        cast(null as text) as command,
        cast(null as timestamptz) as started_at,
        cast(null as timestamptz) as finished_at,
        cast(null as text) as status,
        cast(null as integer) as exit_code,
        cast(null as jsonb) as steps,
        cast(null as jsonb) as rows_loaded,
        cast(null as text) as error,
        cast(null as timestamptz) as as_of
    where false
    {% endif %}

),

final as (

    select
        run_id,
        command,
        started_at,
        finished_at,
        round(cast(extract(epoch from finished_at - started_at) as numeric), 3) as duration_seconds,
        status,
        exit_code,
        steps,
        rows_loaded,
        error,
        as_of
    from runs

)

select * from final
