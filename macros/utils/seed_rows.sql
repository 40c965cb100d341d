{#
    dbt's seed loader (load_csv_rows), with the same statements: one
    multi-row INSERT with bind parameters per batch of rows. dbt's own macro
    renders one placeholder per cell through a dispatched macro call, which
    made loading the 4,018-day calendar (80 k cells) take about six seconds
    of every full build; here a row's placeholders are written once and
    repeated.
#}
{% macro default__load_csv_rows(model, agate_table) %}
    {%- set cols_sql = get_seed_column_quoted_csv(model, agate_table.column_names) -%}
    {%- set binding = get_binding_char() | trim -%}
    {%- set row_sql = '(' ~ ([binding] * (agate_table.column_names | length)) | join(', ') ~ ')' -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set bindings = [] -%}
        {%- for row in chunk -%}
            {%- do bindings.extend(row) -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' (' ~ cols_sql ~ ') values '
            ~ ([row_sql] * (chunk | length)) | join(', ') -%}
        {%- do adapter.add_query(sql, bindings=bindings, abridge_sql_log=True) -%}
        {%- if loop.first -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
