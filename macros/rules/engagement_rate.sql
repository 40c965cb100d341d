{#
    Engagement rate = (likes + comments + shares) / views, 0 when views = 0, as
    a fraction (0.0523, not 5.23). The star-schema documents' definition; the
    one that doubles comments and scales to percent is not used.
#}
{% macro engagement_rate(likes, comments, shares, views) -%}
    case
        when coalesce({{ views }}, 0) = 0 then 0
        else round(
            cast(coalesce({{ likes }}, 0) + coalesce({{ comments }}, 0) + coalesce({{ shares }}, 0) as numeric)
            / {{ views }},
            6
        )
    end
{%- endmacro %}
