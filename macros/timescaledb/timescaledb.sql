{#
    TimescaleDB DDL from model config, incremental-safe, idempotent and license-aware.

    A model opts in with a `timescaledb` block under `meta` in its config
    (docs/timescaledb.md):

        config:
          meta:
            timescaledb:
              time_column: captured_at
              chunk_interval: 1 day
              time_index: false       # default true: TimescaleDB's index on time_column desc
              compression:            # 'timescale' license only
                segmentby: [channel_id]
                orderby: captured_at desc
                after: 7 days
              retention:
                drop_after: 90 days

    The project-wide post-hook `timescaledb_post_hook()` compares that config
    with the relation's state and emits only what differs: `create_hypertable`
    on a plain table (first build or --full-refresh), `set_chunk_time_interval`
    when the interval changed, and under the 'timescale' license the
    compression settings and policies (a changed policy is removed, then added).
    Under the 'apache' license no TSL call is made: one warning per model says
    what was skipped, and retention runs through `drop_chunks`
    (`dbt run-operation timescaledb_enforce_retention`, called by
    `ytempire-ops refresh`). Without TimescaleDB the model stays a plain table,
    with one warning.
#}

{% macro timescaledb_model_config(node_config) -%}
    {%- set meta = node_config.get('meta') or {} -%}
    {%- set raw = meta.get('timescaledb') -%}
    {%- if not raw -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not raw.get('time_column') -%}
        {{ exceptions.raise_compiler_error("timescaledb config needs a time_column") }}
    {%- endif -%}
    {%- set compression = raw.get('compression') or {} -%}
    {%- set retention = raw.get('retention') or {} -%}
    {%- set segmentby = compression.get('segmentby') or [] -%}
    {%- if segmentby is string -%}
        {%- set segmentby = [segmentby] -%}
    {%- endif -%}
    {{ return({
        'time_column': raw['time_column'],
        'chunk_interval': raw.get('chunk_interval') or '7 days',
        'time_index': raw.get('time_index', true) is not false,
        'compression': {
            'segmentby': segmentby,
            'orderby': compression.get('orderby') or (raw['time_column'] ~ ' desc'),
            'after': compression.get('after'),
        } if compression else none,
        'retention': {'drop_after': retention.get('drop_after')} if retention.get('drop_after') else none,
    }) }}
{%- endmacro %}


{# {'installed': bool, 'version': text or none, 'license': 'apache' | 'timescale' | none} #}
{% macro timescaledb_environment() -%}
    {%- set result = run_query(
        "select (select extversion from pg_extension where extname = 'timescaledb'),"
        ~ " current_setting('timescaledb.license', true)"
    ) -%}
    {%- set version = result.columns[0].values()[0] -%}
    {{ return({
        'installed': version is not none,
        'version': version,
        'license': result.columns[1].values()[0] if version is not none else none,
    }) }}
{%- endmacro %}


{# What TimescaleDB knows of a relation, compared with the config where a comparison is needed. #}
{% macro timescaledb_relation_state(relation, cfg) -%}
    {%- set compression = cfg.compression or {} -%}
    {%- set retention = cfg.retention or {} -%}
    {%- set query -%}
        with

        hypertable as (

            select
                hypertable_schema,
                hypertable_name,
                compression_enabled
            from timescaledb_information.hypertables
            where
                hypertable_schema = '{{ relation.schema }}'
                and hypertable_name = '{{ relation.identifier }}'

        ),

        dimension as (

            select time_interval
            from timescaledb_information.dimensions
            where
                hypertable_schema = '{{ relation.schema }}'
                and hypertable_name = '{{ relation.identifier }}'
                and column_name = '{{ cfg.time_column }}'

        ),

        segmentby as (

            select string_agg(attname, ',' order by attname) as columns
            from timescaledb_information.compression_settings
            where
                hypertable_schema = '{{ relation.schema }}'
                and hypertable_name = '{{ relation.identifier }}'
                and segmentby_column_index is not null

        ),

        orderby as (

            select
                string_agg(
                    attname || case when orderby_asc then ' asc' else ' desc' end,
                    ', ' order by orderby_column_index
                ) as columns
            from timescaledb_information.compression_settings
            where
                hypertable_schema = '{{ relation.schema }}'
                and hypertable_name = '{{ relation.identifier }}'
                and orderby_column_index is not null

        ),

        jobs as (

            select
                proc_name,
                config
            from timescaledb_information.jobs
            where
                hypertable_schema = '{{ relation.schema }}'
                and hypertable_name = '{{ relation.identifier }}'

        ),

        -- TimescaleDB's own index on the time column (named <table>_<time_column>_idx,
        -- with a number appended when the name was taken by the table a full refresh
        -- replaced; dbt's indexes are named by a hash)
        time_indexes as (

            select
                format('%I.%I', namespaces.nspname, indexes.relname) as index_name,
                indexes.relname = '{{ relation.identifier }}_{{ cfg.time_column }}_idx' as is_named_after_table
            from pg_index
            inner join pg_class as indexes on pg_index.indexrelid = indexes.oid
            inner join pg_class as tables on pg_index.indrelid = tables.oid
            inner join pg_namespace as namespaces on tables.relnamespace = namespaces.oid
            inner join pg_attribute
                on
                    tables.oid = pg_attribute.attrelid
                    and pg_index.indkey[0] = pg_attribute.attnum
            where
                namespaces.nspname = '{{ relation.schema }}'
                and tables.relname = '{{ relation.identifier }}'
                and pg_index.indnatts = 1
                and not pg_index.indisunique
                and pg_attribute.attname = '{{ cfg.time_column }}'
                and indexes.relname ~ '_{{ cfg.time_column }}_idx[0-9]*$'

        )

        select
            exists (select 1 from hypertable) as is_hypertable,
            (
                select string_agg(index_name, ',' order by is_named_after_table desc, index_name collate "C")
                from time_indexes
            ) as time_indexes,
            coalesce((select compression_enabled from hypertable), false) as compression_enabled,
            (select time_interval = interval '{{ cfg.chunk_interval }}' from dimension) as interval_matches,
            (select columns from segmentby) as segmentby,
            (select columns from orderby) as orderby,
            exists (select 1 from jobs where proc_name = 'policy_compression') as has_compression_policy,
            exists (
                select 1 from jobs
                where
                    proc_name = 'policy_compression'
                    {% if compression.get('after') %}
                        and cast(config ->> 'compress_after' as interval) = interval '{{ compression.after }}'
                    {% endif %}
            ) as compression_policy_matches,
            exists (select 1 from jobs where proc_name = 'policy_retention') as has_retention_policy,
            exists (
                select 1 from jobs
                where
                    proc_name = 'policy_retention'
                    {% if retention.get('drop_after') %}
                        and cast(config ->> 'drop_after' as interval) = interval '{{ retention.drop_after }}'
                    {% endif %}
            ) as retention_policy_matches
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {{ return({
        'is_hypertable': row['is_hypertable'],
        'time_indexes': (row['time_indexes'] or '').split(',') | reject('equalto', '') | list,
        'compression_enabled': row['compression_enabled'],
        'interval_matches': row['interval_matches'],
        'segmentby': row['segmentby'] or '',
        'orderby': row['orderby'] or '',
        'has_compression_policy': row['has_compression_policy'],
        'compression_policy_matches': row['compression_policy_matches'],
        'has_retention_policy': row['has_retention_policy'],
        'retention_policy_matches': row['retention_policy_matches'],
    }) }}
{%- endmacro %}


{# The state of a relation that is not yet a hypertable (a first build, a --full-refresh, a review). #}
{% macro timescaledb_fresh_state() -%}
    {{ return({
        'is_hypertable': false,
        'compression_enabled': false,
        'interval_matches': none,
        'segmentby': '',
        'orderby': '',
        'has_compression_policy': false,
        'compression_policy_matches': false,
        'has_retention_policy': false,
        'retention_policy_matches': false,
    }) }}
{%- endmacro %}


{#
    The statements that bring `relation` to `cfg` under `license`, from `state`.
    Pure: reads nothing, runs nothing (the golden tests call it through
    timescaledb_show_ddl). Returns {'statements': [...], 'skipped': [...]}.
#}
{% macro timescaledb_statements(relation, cfg, license, state) -%}
    {%- set statements = [] -%}
    {%- set skipped = [] -%}
    {%- set rel = relation.schema ~ '.' ~ relation.identifier -%}
    {%- if not state.is_hypertable -%}
        {%- do statements.append(
            "select create_hypertable('" ~ rel ~ "', by_range('" ~ cfg.time_column ~ "', interval '"
            ~ cfg.chunk_interval ~ "'), if_not_exists => true, migrate_data => true"
            ~ ("" if cfg.time_index else ", create_default_indexes => false") ~ ")"
        ) -%}
    {%- elif not state.interval_matches -%}
        {%- do statements.append(
            "select set_chunk_time_interval('" ~ rel ~ "', interval '" ~ cfg.chunk_interval ~ "')"
        ) -%}
    {%- endif -%}
    {#- TimescaleDB's index on the time column: created after a full load unless time_index is false;
        an existing hypertable gains or loses it when the config changes, and keeps one at most (full
        refreshes before the index was named this way could leave two; the state lists first the one
        named after the table). A state given to timescaledb_show_ddl without time_indexes is taken to
        have the index its config asks for. -#}
    {%- if state.time_indexes is defined -%}
        {%- for index_name in state.time_indexes[(1 if cfg.time_index else 0):] -%}
            {%- do statements.append("drop index if exists " ~ index_name) -%}
        {%- endfor -%}
        {%- if cfg.time_index and state.is_hypertable and not state.time_indexes -%}
            {%- do statements.append(
                "create index if not exists " ~ relation.identifier ~ "_" ~ cfg.time_column ~ "_idx on " ~ rel
                ~ " (" ~ cfg.time_column ~ " desc)"
            ) -%}
        {%- endif -%}
    {%- endif -%}

    {%- set compression = cfg.compression -%}
    {%- if compression -%}
        {%- if license == 'timescale' -%}
            {%- set wanted_segmentby = compression.segmentby | sort | join(',') -%}
            {%- set wanted_orderby = compression.orderby | lower | replace('  ', ' ') -%}
            {%- if not state.compression_enabled
                or state.segmentby != wanted_segmentby
                or (state.orderby | lower) != wanted_orderby -%}
                {%- do statements.append(
                    "alter table " ~ rel ~ " set (timescaledb.compress, timescaledb.compress_segmentby = '"
                    ~ (compression.segmentby | join(', ')) ~ "', timescaledb.compress_orderby = '"
                    ~ compression.orderby ~ "')"
                ) -%}
            {%- endif -%}
            {%- if compression.after and not state.compression_policy_matches -%}
                {%- if state.has_compression_policy -%}
                    {%- do statements.append(
                        "select remove_compression_policy('" ~ rel ~ "', if_exists => true)"
                    ) -%}
                {%- endif -%}
                {%- do statements.append(
                    "select add_compression_policy('" ~ rel ~ "', compress_after => interval '"
                    ~ compression.after ~ "')"
                ) -%}
            {%- endif -%}
        {%- else -%}
            {%- do skipped.append(
                "compression (segmentby " ~ (compression.segmentby | join(', ')) ~ ", orderby "
                ~ compression.orderby ~ ", after " ~ compression.after ~ ")"
            ) -%}
        {%- endif -%}
    {%- endif -%}

    {%- set retention = cfg.retention -%}
    {%- if retention -%}
        {%- if license == 'timescale' -%}
            {%- if not state.retention_policy_matches -%}
                {%- if state.has_retention_policy -%}
                    {%- do statements.append(
                        "select remove_retention_policy('" ~ rel ~ "', if_exists => true)"
                    ) -%}
                {%- endif -%}
                {%- do statements.append(
                    "select add_retention_policy('" ~ rel ~ "', drop_after => interval '"
                    ~ retention.drop_after ~ "')"
                ) -%}
            {%- endif -%}
        {%- else -%}
            {%- do skipped.append(
                "the retention policy (drop_after " ~ retention.drop_after
                ~ "; enforced by drop_chunks in `dbt run-operation timescaledb_enforce_retention`)"
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return({'statements': statements, 'skipped': skipped}) }}
{%- endmacro %}


{#
    Project-wide post-hook (dbt_project.yml): renders the statements a model's
    timescaledb config needs now, or nothing. Runs inside the model's
    transaction, after the table was created or merged.
#}
{% macro timescaledb_post_hook() -%}
    {%- if execute and model.resource_type == 'model' -%}
        {%- set cfg = timescaledb_model_config(config) -%}
        {%- if cfg is not none -%}
            {%- set env = timescaledb_environment() -%}
            {%- if not env.installed -%}
                {%- do exceptions.warn(
                    "timescaledb: extension not installed; " ~ this ~ " stays a plain table "
                    ~ "(no hypertable, compression or retention)."
                ) -%}
            {%- else -%}
                {%- set state = timescaledb_relation_state(this, cfg) -%}
                {%- set ddl = timescaledb_statements(this, cfg, env.license, state) -%}
                {%- if ddl.skipped -%}
                    {%- do exceptions.warn(
                        "timescaledb: license '" ~ env.license ~ "' does not include "
                        ~ (ddl.skipped | join(' or ')) ~ " for " ~ this
                        ~ "; skipped (these need the 'timescale' license)."
                    ) -%}
                {%- endif -%}
                {%- for statement in ddl.statements -%}
                    {%- do log("timescaledb: " ~ statement, info=true) -%}
                {%- endfor -%}
                {{ ddl.statements | join(';\n') }}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#
    dbt run-operation timescaledb_show_ddl --args '{model: fact_video_performance}'
    Prints, without running them, the statements the macros would run for the
    model under each license (or `license: apache|timescale`): for a fresh table
    (first build, --full-refresh) and, when the relation exists, for its current state.
    `state` (a dict like timescaledb_fresh_state()'s) shows the statements for
    a hypothetical state instead, e.g. a hypertable whose policies differ.
#}
{% macro timescaledb_show_ddl(model, license=none, state=none) -%}
    {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('name', 'equalto', model) | list -%}
    {%- if not nodes -%}
        {{ exceptions.raise_compiler_error("timescaledb_show_ddl: no model named '" ~ model ~ "'") }}
    {%- endif -%}
    {%- set node = nodes[0] -%}
    {%- set cfg = timescaledb_model_config(node.config) -%}
    {%- if cfg is none -%}
        {%- do print("-- " ~ model ~ ": no timescaledb config") -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- set existing = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
    {%- set env = timescaledb_environment() if execute else {'installed': false} -%}
    {%- for lic in ([license] if license else ['apache', 'timescale']) -%}
        {%- if state is not none -%}
            {%- set given = timescaledb_fresh_state() -%}
            {%- do given.update(state) -%}
            {%- set states = [('given state', given)] -%}
        {%- else -%}
            {%- set states = [('fresh table', timescaledb_fresh_state())] -%}
        {%- endif -%}
        {%- if state is none and existing is not none and env.installed -%}
            {%- do states.append(('current state', timescaledb_relation_state(relation, cfg))) -%}
        {%- endif -%}
        {%- for label, state in states -%}
            {%- set ddl = timescaledb_statements(relation, cfg, lic, state) -%}
            {%- do print("-- " ~ model ~ " | license " ~ lic ~ " | " ~ label) -%}
            {%- for statement in ddl.statements -%}
                {%- do print(statement ~ ";") -%}
            {%- endfor -%}
            {%- for item in ddl.skipped -%}
                {%- do print("-- skipped: " ~ item) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}


{#
    dbt run-operation timescaledb_enforce_retention [--args '{dry_run: true}']
    Retention where policies are unavailable (license 'apache'): for each model
    with a retention config, drop_chunks(older_than => as_of - drop_after) —
    only chunks entirely older than the horizon go. Logs each dropped chunk.
    Under the 'timescale' license the retention policy does this; nothing runs.
#}
{% macro timescaledb_enforce_retention(dry_run=false) -%}
    {%- set env = timescaledb_environment() -%}
    {%- if not env.installed -%}
        {%- do log("timescaledb retention: extension not installed; nothing to do", info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- if env.license == 'timescale' -%}
        {%- do log("timescaledb retention: license 'timescale': retention policies enforce it; nothing to do", info=true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') -%}
        {%- set cfg = timescaledb_model_config(node.config) -%}
        {%- if cfg is not none and cfg.retention -%}
            {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- if relation is none -%}
                {%- do log("timescaledb retention: " ~ node.name ~ " not built yet; skipped", info=true) -%}
            {%- elif not timescaledb_relation_state(relation, cfg).is_hypertable -%}
                {%- do log("timescaledb retention: " ~ relation ~ " is not a hypertable; skipped", info=true) -%}
            {%- else -%}
                {%- set horizon = as_of() ~ " - interval '" ~ cfg.retention.drop_after ~ "'" -%}
                {%- if dry_run -%}
                    {%- set result = run_query(
                        "select show_chunks('" ~ relation ~ "', older_than => " ~ horizon ~ ")"
                    ) -%}
                    {%- set verb = "would drop" -%}
                {%- else -%}
                    {%- set result = run_query(
                        "select drop_chunks('" ~ relation ~ "', older_than => " ~ horizon ~ ")"
                    ) -%}
                    {%- set verb = "dropped" -%}
                {%- endif -%}
                {%- set chunks = result.columns[0].values() -%}
                {%- do log("timescaledb retention: " ~ relation ~ ": " ~ verb ~ " " ~ (chunks | length)
                    ~ " chunk(s) older than " ~ cfg.retention.drop_after
                    ~ ((": " ~ (chunks | join(', '))) if chunks else ""), info=true) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not dry_run -%}
        {%- do adapter.commit() -%}
    {%- endif -%}
{%- endmacro %}
