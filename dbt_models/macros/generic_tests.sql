{#- Generic data tests used by the intermediate and mart YAML (no hub packages offline). -#}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test expression_is_true(model, expression, column_name=none) %}
select *
from {{ model }}
where not coalesce(({{ expression }}), false)
{% endtest %}

{#-
    Every row whose `columns` are all set matches a row of `to` on `fields` (same order): the
    multi-column form of dbt's relationships test, e.g. (integration_id, session_id) of an error
    against the sessions.
-#}
{% test relationships_combination(model, columns, to, fields) %}
select {% for column in columns %}child.{{ column }}{{ ", " if not loop.last }}{% endfor %}
from {{ model }} as child
left join {{ to }} as parent
    on {% for column in columns %}child.{{ column }} = parent.{{ fields[loop.index0] }}{{ " and " if not loop.last }}{% endfor %}
where {% for column in columns %}child.{{ column }} is not null and {% endfor %}parent.{{ fields[0] }} is null
{% endtest %}
