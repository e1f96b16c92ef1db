{#-
    The session status vocabulary of event contract v1, in one place.

    terminal: a session that reached one of these is over, whatever arrives later.
    status_rank: the lifecycle order, used only to break ties between status events
    with the same occurred_at (later in the lifecycle wins).
    session_outcome: how a terminal status counts for success rates and failure streaks.
-#}

{% macro terminal_statuses() -%}
    {{ return(['completed', 'completed_with_warnings', 'partially_completed', 'failed', 'cancelled', 'timed_out']) }}
{%- endmacro %}

{% macro sql_string_list(values) -%}
    ({% for v in values %}'{{ v }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro is_terminal_status(column) -%}
    coalesce({{ column }} in {{ sql_string_list(terminal_statuses()) }}, false)
{%- endmacro %}

{% macro status_rank(column) -%}
    case {{ column }}
        when 'pending' then 1
        when 'queued' then 2
        when 'initializing' then 3
        when 'running' then 4
        when 'paused' then 4
        when 'retrying' then 4
        when 'completing' then 5
        else 6
    end
{%- endmacro %}

{#-
    The status fold, as an ORDER BY over a session's status events: the first row is the
    session's current status. A terminal status beats any non-terminal one (late non-terminal
    events cannot reopen a session); among equals the latest occurred_at wins; ties are broken by
    lifecycle rank, then by event_id, so the result never depends on arrival order.
-#}
{% macro status_fold_order(status='status', occurred_at='occurred_at', event_id='event_id') -%}
    {{ is_terminal_status(status) }} desc, {{ occurred_at }} desc, {{ status_rank(status) }} desc, {{ event_id }} desc
{%- endmacro %}

{% macro session_outcome(column) -%}
    case
        when {{ column }} in ('completed', 'completed_with_warnings') then 'succeeded'
        when {{ column }} = 'partially_completed' then 'partial'
        when {{ column }} in ('failed', 'timed_out') then 'failed'
        when {{ column }} = 'cancelled' then 'cancelled'
    end
{%- endmacro %}
