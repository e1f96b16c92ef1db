-- Each session as it stood at as_of: only its events with occurred_at <= as_of count.
-- Same fold rule as fct_sync_sessions (macro status_fold_order). A session exists once its
-- creation, or failing that its first status event, has occurred; it has no status ('pending')
-- until a status event has occurred. A session is (integration_id, session_id): session ids are
-- unique per integration only.

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

session_created as (
    select * from {{ ref('stg_session_created') }}
),

status_history as (
    select * from {{ ref('int_session_status_history') }}
),

creations as (
    select
        session_created.session_id,
        session_created.integration_id,
        session_created.created_at,
        session_created.triggered_by
    from session_created
    inner join as_of on session_created.created_at <= as_of.as_of
    qualify row_number() over (partition by integration_id, session_id order by created_at, event_id) = 1
),

statuses as (
    select status_history.*
    from status_history
    inner join as_of on status_history.occurred_at <= as_of.as_of
),

first_status as (
    select
        integration_id,
        session_id,
        min(occurred_at) as first_status_at
    from statuses
    group by integration_id, session_id
),

current_status as (
    select
        integration_id,
        session_id,
        status,
        occurred_at as status_at
    from statuses
    qualify row_number() over (
        partition by integration_id, session_id
        order by {{ status_fold_order('status', 'occurred_at', 'event_id') }}
    ) = 1
),

sessions as (
    select
        coalesce(creations.session_id, first_status.session_id) as session_id,
        coalesce(creations.integration_id, first_status.integration_id) as integration_id,
        creations.triggered_by,
        coalesce(creations.created_at, first_status.first_status_at) as started_at
    from creations
    full outer join first_status
        on creations.integration_id = first_status.integration_id and creations.session_id = first_status.session_id
),

final as (
    select
        sessions.session_id,
        sessions.integration_id,
        sessions.triggered_by,
        sessions.started_at,
        coalesce(current_status.status, 'pending') as status,
        {{ is_terminal_status('current_status.status') }} as is_terminal,
        {{ session_outcome('current_status.status') }} as outcome,
        case when {{ is_terminal_status('current_status.status') }} then current_status.status_at end as ended_at
    from sessions
    left join current_status
        on sessions.integration_id = current_status.integration_id and sessions.session_id = current_status.session_id
)

select * from final
