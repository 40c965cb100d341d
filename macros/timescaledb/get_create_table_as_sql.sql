{#
    dbt's get_create_table_as_sql, with one change for models that have a
    `meta.timescaledb` config when the extension is installed: the table is
    created empty, made a hypertable, then filled. Creating it full and
    converting it afterwards (create_hypertable with migrate_data) would copy
    every row a second time, chunk by chunk.

    TimescaleDB's own index on the time column (`time_index`, on unless a
    model turns it off) is created after the load, named by PostgreSQL as
    create_hypertable names it (<table>_<column>_idx, with a number appended
    while the table a full refresh replaces holds that name): one sorted
    build per chunk instead of an index entry per inserted row. dbt's
    `indexes` are created after the load as well, by the materialization.

    The relation created here is dbt's intermediate relation (the model's name
    with a __dbt_tmp suffix), renamed onto the model afterwards; a hypertable
    keeps its chunks through the rename. The post-hook then finds a hypertable
    and emits only what still differs (compression, policies, warnings).
    A model whose columns declare NOT NULL constraints without an enforced
    contract (macros/utils/not_null_constraints.sql) takes the same path,
    hypertable or not: its constraints are set on the empty table, so that
    the rows are checked as they are inserted, not scanned again after.
    Everything else (temporary tables, models without either, contracts)
    goes to dbt's own macro.

    An incremental model's full load (first build or --full-refresh) ends with
    ANALYZE of the new table: later runs plan their small batches against it,
    and autovacuum may reach a table of millions of new rows only minutes
    later (after a scale-1 build, refreshes planned mart_channel_performance
    and fact_channel_daily on fact_video_daily without statistics until then).
#}
{% macro postgres__get_create_table_as_sql(temporary, relation, sql) -%}
    {%- set cfg = none -%}
    {%- if not temporary and execute and model is defined and model.resource_type == 'model' -%}
        {%- set cfg = timescaledb_model_config(config) -%}
    {%- endif -%}
    {%- set analyze = not temporary and execute and model is defined
        and model.resource_type == 'model' and config.get('materialized') == 'incremental' -%}
    {%- set not_null = not_null_columns() if not temporary else [] -%}
    {%- if cfg is not none and not timescaledb_environment().installed -%}
        {%- set cfg = none -%}
    {%- endif -%}
    {%- if (cfg is none and not not_null)
        or config.get('contract').enforced -%}
        {%- set create_table_as = default__get_create_table_as_sql(temporary, relation, sql) -%}
        {%- if analyze %}
        {{ create_table_as.strip().rstrip(';') }};
        analyze {{ relation }};
        {%- else %}
        {{ create_table_as }}
        {%- endif -%}
    {%- else -%}
        {%- if cfg is not none -%}
        {%- do log(
            "timescaledb: select create_hypertable('" ~ this.schema ~ "." ~ this.identifier
            ~ "', by_range('" ~ cfg.time_column ~ "', interval '" ~ cfg.chunk_interval
            ~ "')) on the empty table, then load it"
            ~ (", then index " ~ cfg.time_column if cfg.time_index else ""),
            info=true,
        ) -%}
        {%- endif -%}
        {%- set sql_header = config.get('sql_header', none) -%}
        {{ sql_header if sql_header is not none }}
        create table {{ relation }} as (
            {{ sql }}
        ) with no data;
        {%- if not_null %}
        {{ set_not_null_sql(relation, not_null) }};
        {%- endif %}
        {%- if cfg is not none %}
        select create_hypertable(
            '{{ relation.schema }}.{{ relation.identifier }}',
            by_range('{{ cfg.time_column }}', interval '{{ cfg.chunk_interval }}'),
            create_default_indexes => false
        );
        {%- endif %}
        insert into {{ relation }} (
            {{ sql }}
        );
        {%- if cfg is not none and cfg.time_index %}
        create index on {{ relation }} ({{ cfg.time_column }} desc);
        {%- endif %}
        {%- if analyze %}
        analyze {{ relation }};
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
