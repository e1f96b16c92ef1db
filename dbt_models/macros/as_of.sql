{#-
    The instant mart_integration_health is computed for: dbt var `as_of`, an ISO 8601 timestamp
    (`2026-11-20T12:00:00Z`, `2026-11-20T12:00:00+00:00`, or without offset = UTC). Returns a SQL
    expression of type TIMESTAMP (UTC), or none when the var is not set.
    The value is checked against a strict pattern before it reaches SQL.
-#}
{% macro as_of_literal() -%}
    {%- set raw = var('as_of', none) -%}
    {%- if raw is none or (raw | string | trim) == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set value = raw | string | trim -%}
    {%- set pattern = '^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?(Z|[+-]\d{2}:?\d{2})?$' -%}
    {%- if not modules.re.match(pattern, value) -%}
        {{ exceptions.raise_compiler_error("var as_of must be an ISO 8601 timestamp such as 2026-11-20T12:00:00Z, got: " ~ value) }}
    {%- endif -%}
    {%- if modules.re.search('(Z|[+-]\d{2}:?\d{2})$', value) and modules.re.search('[T ]', value) -%}
        {{ return("cast(timezone('UTC', cast('" ~ value ~ "' as timestamptz)) as timestamp)") }}
    {%- else -%}
        {{ return("cast('" ~ value ~ "' as timestamp)") }}
    {%- endif -%}
{%- endmacro %}
