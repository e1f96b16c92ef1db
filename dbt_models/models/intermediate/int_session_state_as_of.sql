-- Each session as it stood at as_of: only its events with occurred_at <= as_of count.
-- Same fold rule as fct_sync_sessions (macro session_state). A session exists once its
-- creation, or failing that its first status event, has occurred; it has no status ('pending')
-- until a status event has occurred. A session is (integration_id, session_id): session ids are
-- unique per integration only.
--
-- A session whose creation and status events all occurred by as_of stood at as_of as it stands
-- now: its row comes from int_session_final_state. Only the sessions with state events on both
-- sides of as_of (none or a few for the scheduled refresh, whose as_of is the present) are folded
-- again from their events up to as_of.

{{ config(materialized='table') }}

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

final_states as (
    select * from {{ ref('int_session_final_state') }}
),

straddling as (
    select integration_id, session_id
    from final_states
    where first_state_event_at <= (select as_of from as_of) and last_state_event_at > (select as_of from as_of)
),

{{ session_state(as_of='(select as_of from as_of)', sessions='straddling') }},

final as (
    select session_id, integration_id, triggered_by, started_at, status, is_terminal, outcome, ended_at
    from final_states
    where last_state_event_at <= (select as_of from as_of)
    union all
    select session_id, integration_id, triggered_by, started_at, status, is_terminal, outcome, ended_at
    from session_state
)

select * from final
