{#-
    Each session's state folded from its creation and status events: the body of
    int_session_state_as_of and int_session_final_state, so both follow one rule (the status fold
    of fct_sync_sessions, macro status_fold_order). A session exists once its creation, or failing
    that its first status event, has occurred; it is 'pending' until a status event has.

    as_of:    a SQL expression; only events with occurred_at <= it count (none: every event).
    sessions: a CTE of (integration_id, session_id) to fold (none: every session).
    since:    a SQL timestamp no event of those sessions is older than (none: no bound); lets
              DuckDB skip older row groups.
    Besides the state, first_state_event_at and last_state_event_at bound the events folded, and
    last_ingested_at is the newest ingested_at among them.
-#}
{% macro session_state(as_of=none, sessions=none, since=none) -%}
state_creations as (
    select session_id, integration_id, created_at, triggered_by, event_id, ingested_at
    from {{ ref('stg_session_created') }}
    where true
    {%- if as_of is not none %} and created_at <= {{ as_of }}{% endif %}
    {%- if since is not none %} and created_at >= {{ since }}{% endif %}
    {%- if sessions is not none %} and (integration_id, session_id) in (select integration_id, session_id from {{ sessions }}){% endif %}
),

state_statuses as (
    select integration_id, session_id, status, occurred_at, event_id, ingested_at
    from {{ ref('int_session_status_history') }}
    where true
    {%- if as_of is not none %} and occurred_at <= {{ as_of }}{% endif %}
    {%- if since is not none %} and occurred_at >= {{ since }}{% endif %}
    {%- if sessions is not none %} and (integration_id, session_id) in (select integration_id, session_id from {{ sessions }}){% endif %}
),

first_creation as (
    select *
    from state_creations
    qualify row_number() over (partition by integration_id, session_id order by created_at, event_id) = 1
),

creation_span as (
    select integration_id, session_id, max(created_at) as last_created_at, max(ingested_at) as ingested_at
    from state_creations
    group by integration_id, session_id
),

status_span as (
    select
        integration_id,
        session_id,
        min(occurred_at) as first_status_at,
        max(occurred_at) as last_status_at,
        max(ingested_at) as ingested_at
    from state_statuses
    group by integration_id, session_id
),

current_status as (
    select
        integration_id,
        session_id,
        status,
        occurred_at as status_at
    from state_statuses
    qualify row_number() over (
        partition by integration_id, session_id
        order by {{ status_fold_order('status', 'occurred_at', 'event_id') }}
    ) = 1
),

state_sessions as (
    select
        coalesce(first_creation.session_id, status_span.session_id) as session_id,
        coalesce(first_creation.integration_id, status_span.integration_id) as integration_id,
        first_creation.triggered_by,
        coalesce(first_creation.created_at, status_span.first_status_at) as started_at,
        least(first_creation.created_at, status_span.first_status_at) as first_state_event_at,
        greatest(creation_span.last_created_at, status_span.last_status_at) as last_state_event_at,
        greatest(creation_span.ingested_at, status_span.ingested_at) as last_ingested_at
    from first_creation
    inner join creation_span
        on first_creation.integration_id = creation_span.integration_id and first_creation.session_id = creation_span.session_id
    full outer join status_span
        on first_creation.integration_id = status_span.integration_id and first_creation.session_id = status_span.session_id
),

session_state as (
    select
        state_sessions.session_id,
        state_sessions.integration_id,
        state_sessions.triggered_by,
        state_sessions.started_at,
        coalesce(current_status.status, 'pending') as status,
        {{ is_terminal_status('current_status.status') }} as is_terminal,
        {{ session_outcome('current_status.status') }} as outcome,
        case when {{ is_terminal_status('current_status.status') }} then current_status.status_at end as ended_at,
        state_sessions.first_state_event_at,
        state_sessions.last_state_event_at,
        state_sessions.last_ingested_at
    from state_sessions
    left join current_status
        on state_sessions.integration_id = current_status.integration_id
        and state_sessions.session_id = current_status.session_id
)
{%- endmacro %}
