{#
    surrogate_key(columns): a deterministic surrogate key over a list of column
    names or SQL expressions, the project's own stand-in for
    dbt_utils.generate_surrogate_key (dbt packages are not installed here).

    Each value is cast to text, a null is replaced by the sentinel
    '_surrogate_key_null_' (so null and '' differ and a null does not null the
    whole key), the values are joined with '-' and the result is md5-hashed:
    a 32-character lowercase hex text.

        {{ surrogate_key(['user_id', 'dbt_valid_from']) }}
        -> md5(coalesce(cast(user_id as text), '_surrogate_key_null_') || '-' || ...)

    Casting to text is what makes keys comparable across builds, so pass values
    whose text form does not depend on the session: a timestamptz renders in the
    session's TimeZone and DateStyle, so hash `extract(epoch from <ts>)` (or
    `<ts> at time zone 'UTC'`) rather than the bare column when keys must be
    stable across connections with different settings.
#}
{% macro surrogate_key(columns) -%}
    {%- if columns is string -%}
        {%- set columns = [columns] -%}
    {%- endif -%}
    {%- if columns | length == 0 -%}
        {{ exceptions.raise_compiler_error('surrogate_key() needs at least one column') }}
    {%- endif -%}
    md5(
        {%- for column in columns %}
        coalesce(cast({{ column }} as text), '_surrogate_key_null_')
        {%- if not loop.last %} || '-' ||{% endif %}
        {%- endfor %}
    )
{%- endmacro %}
