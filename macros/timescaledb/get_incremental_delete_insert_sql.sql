{#
    dbt's delete+insert strategy, with one predicate added for models that
    have a `meta.timescaledb` config whose time column is part of the unique
    key (every such hypertable: its unique index must include the time
    column): the delete is bounded below by the smallest time value of the
    batch, rendered as a literal.

    Without it, `delete ... where (key) in (select ... from batch)` probes
    every chunk for every batch row (PostgreSQL cannot know which chunks the
    batch's keys fall in): 0.4-0.6 s for a 5-minute batch of
    fact_video_performance's 89 daily chunks, 27 ms with the bound, which
    excludes the older chunks when the statement is planned. The bound
    removes no row the unbounded delete would remove: every key in the batch
    has a time value at or above the batch's smallest.

    The batch's smallest time value is read when the model runs (one
    aggregate over the temporary table); an empty batch adds no predicate
    (the delete then matches nothing anyway). incremental_predicates of the
    model are kept.
#}
{% macro postgres__get_incremental_delete_insert_sql(arg_dict) -%}
    {%- set predicates = [] + (arg_dict['incremental_predicates'] or []) -%}
    {%- set bound = delete_insert_time_bound(arg_dict['temp_relation'], arg_dict['unique_key']) -%}
    {%- if bound -%}
        {%- do predicates.append(bound) -%}
    {%- endif -%}
    {%- do return(get_delete_insert_merge_sql(
        arg_dict['target_relation'],
        arg_dict['temp_relation'],
        arg_dict['unique_key'],
        arg_dict['dest_columns'],
        predicates if predicates else none,
    )) -%}
{%- endmacro %}


{# `DBT_INTERNAL_DEST.<time column> >= '<smallest in the batch>'`, or none. #}
{% macro delete_insert_time_bound(batch, unique_key) -%}
    {%- set cfg = timescaledb_model_config(config) if execute else none -%}
    {%- if cfg is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set keys = [unique_key] if unique_key is string else (unique_key or []) -%}
    {%- if cfg['time_column'] not in keys -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set column = adapter.quote(cfg['time_column']) -%}
    {%- set smallest = run_query(
        'select cast(min(' ~ column ~ ') as text) from ' ~ batch
    ).columns[0].values()[0] -%}
    {%- if smallest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('DBT_INTERNAL_DEST.' ~ column ~ " >= '" ~ smallest ~ "'") }}
{%- endmacro %}
