{#
    What the project no longer builds, dropped from a warehouse built by an
    earlier version (dbt never drops what a model stopped making). Each
    statement finds nothing to drop once it has run.
#}

{#
    staging.stg_youtube__video_metrics: the usable polls are stored in
    int_video_metrics_deltaed only (docs/decisions.md, "The polls are stored
    twice, not four times"). int_raw_rows_accounted's post-hook: that view
    was the table's only reader, and has just been replaced by one that
    reads int_video_metrics_deltaed.
#}
{% macro drop_retired_relations() -%}
    drop table if exists {{ adapter.quote(generate_schema_name('staging', none)) }}.stg_youtube__video_metrics
{%- endmacro %}

{#
    A DO block dropping the indexes of `relation` whose key columns are
    exactly `columns`, in order (on a hypertable, with its chunks' indexes).
    fact_video_performance's pre-hook drops its (channel_id, captured_at)
    index: no refresh, dashboard panel or report read the fact by channel
    (docs/benchmarks.md, "What the warehouse takes on disk").
#}
{% macro drop_index_on(relation, columns) -%}
    do $retire$
    declare
        retired regclass;
    begin
        for retired in
            select index_.indexrelid::regclass
            from pg_index as index_
            where
                index_.indrelid = to_regclass('{{ relation }}')
                and (
                    select array_agg(attribute.attname::text order by key_.position)
                    from unnest(cast(index_.indkey as int2[])) with ordinality as key_ (attnum, position)
                    inner join pg_attribute as attribute
                        on attribute.attrelid = index_.indrelid and attribute.attnum = key_.attnum
                ) = array['{{ columns | join("', '") }}']
        loop
            execute format('drop index %s', retired);
        end loop;
    end
    $retire$
{%- endmacro %}
