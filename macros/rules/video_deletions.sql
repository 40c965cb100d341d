{#
    Soft deletions of videos reach the incremental performance models
    (fact_video_performance, fact_video_hourly, fact_video_daily,
    fact_channel_daily) through int_video_deletions_detected: a change recorded
    at or after the model's own watermark on `watermark_column` is applied by
    that model. The ids are read when the model runs and rendered as literals,
    so PostgreSQL reads each video's rows through the (video_id, ...) index
    instead of joining whole tables.

    video_deletion_changes(watermark_column) -> {'deleted': [ids], 'restored': [ids]};
    both lists are empty on a full load and at parse time.
#}
{% macro video_deletion_changes(watermark_column) -%}
    {%- set changes = {'deleted': [], 'restored': []} -%}
    {#- outside the guard, so that parsing records the dependency -#}
    {%- set detected = ref('int_video_deletions_detected') -%}
    {%- if execute and is_incremental() -%}
        {%- set query -%}
            select video_id, is_deleted
            from {{ detected }}
            where changed_at >= {{ incremental_watermark(watermark_column) }}
            order by video_id
        {%- endset -%}
        {%- for row in run_query(query).rows -%}
            {%- do changes['deleted' if row[1] else 'restored'].append(row[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {{- return(changes) -}}
{%- endmacro %}


{#- `column in ('id', ...)` for a non-empty list of ids, quotes escaped. -#}
{% macro video_id_in(column, ids) -%}
    {{ column }} in (
        {%- for id in ids -%}
            '{{ id | replace("'", "''") }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    )
{%- endmacro %}


{#-
    Pre-hook of the per-video performance models: delete the rows of videos
    deleted since the model's watermark (their polls are no longer loaded, so
    delete+insert alone would keep them). Renders nothing when there are none.
-#}
{% macro delete_rows_of_deleted_videos(watermark_column) -%}
    {%- set changes = video_deletion_changes(watermark_column) -%}
    {%- if changes['deleted'] -%}
        delete from {{ this }} where {{ video_id_in('video_id', changes['deleted']) }}
    {%- endif -%}
{%- endmacro %}
