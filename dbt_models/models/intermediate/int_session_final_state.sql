{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['integration_id', 'session_id'],
        on_schema_change='fail'
    )
}}

-- Each session as its creation and status events leave it once all of them have occurred: what
-- int_session_state_as_of is for any as_of after last_state_event_at. Kept incrementally so the
-- health models read one narrow row per session instead of folding every status event again at
-- every refresh (macro session_state, the one fold rule of both).
--
-- Incremental: the sessions with creation or status events ingested since the last build
-- (watermark: last_ingested_at) are folded again from all their events, read from the oldest
-- one on (macro earliest_touched_event).

{%- set new_events -%}
    select integration_id, session_id, created_at as occurred_at from {{ ref('stg_session_created') }}
    where {{ ingested_since_last_build('ingested_at', 'last_ingested_at') }}
    union all
    select integration_id, session_id, occurred_at from {{ ref('int_session_status_history') }}
    where {{ ingested_since_last_build('ingested_at', 'last_ingested_at') }}
{%- endset %}

with touched_sessions as (
    select distinct integration_id, session_id from ({{ new_events }})
),

{% if is_incremental() -%}
{{ session_state(sessions='touched_sessions', since=earliest_touched_event(new_events, 'first_state_event_at')) }}
{%- else -%}
{{ session_state() }}
{%- endif %}

select * from session_state
