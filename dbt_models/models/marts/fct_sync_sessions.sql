{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['integration_id', 'session_id'],
        on_schema_change='fail'
    )
}}

-- One row per session, its state folded by event time. A session is (integration_id, session_id):
-- synchronizers bring their own session ids, unique per integration only, so two integrations'
-- session 1234 are two sessions; every fold, join and key below uses both columns.
--
-- Status fold (macro status_fold_order): once any terminal status has been seen (completed,
-- completed_with_warnings, partially_completed, failed, cancelled, timed_out) the session is
-- terminal, with the latest terminal status by occurred_at, whatever non-terminal events arrive
-- late; otherwise the latest status by occurred_at. Ties: lifecycle rank, then event_id.
-- A session with no status event yet is 'pending'. A session known only from non-created events
-- still gets a row (its attributes from session_created stay null).
--
-- Incremental: the sessions that received any event since the last build (watermark:
-- last_ingested_at) are recomputed whole from all their events, so late events for old sessions
-- update them; delete+insert on (integration_id, session_id). Every read below starts at
-- `earliest` (macro earliest_touched_event): no event of a touched session is older.

{%- set new_events -%}
    select integration_id, session_id, occurred_at from {{ ref('stg_sync_events') }}
    where session_id is not null and {{ ingested_since_last_build('ingested_at', 'last_ingested_at') }}
{%- endset %}
{%- if is_incremental() %}
    {%- set earliest = earliest_touched_event(new_events, 'first_event_at') %}
{%- endif %}

with sync_events as not materialized (  -- a materialized copy of every event would come before the filters
    select * from {{ ref('stg_sync_events') }}
),

touched_sessions as (
    select distinct integration_id, session_id from ({{ new_events }})
),

session_events as (
    select event_id, session_id, integration_id, provider, occurred_at, ingested_at
    from sync_events
    where session_id is not null
    {% if is_incremental() %}
        and occurred_at >= {{ earliest }}
        and (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

session_created as (
    select * from {{ ref('stg_session_created') }}
    {% if is_incremental() %}
    where created_at >= {{ earliest }}
        and (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

status_history as (
    select * from {{ ref('int_session_status_history') }}
    {% if is_incremental() %}
    where occurred_at >= {{ earliest }}
        and (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

entity_progress as (
    select * from {{ ref('int_session_entity_progress') }}
    {% if is_incremental() %}
    where reported_at >= {{ earliest }}
        and (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

session_errors as (
    select * from {{ ref('fct_sync_errors') }}
    {% if is_incremental() %}
    where occurred_at >= {{ earliest }}
        and (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

session_warnings as (
    select * from {{ ref('fct_sync_warnings') }}
    {% if is_incremental() %}
    where occurred_at >= {{ earliest }}
        and (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

session_conflicts as (
    select * from {{ ref('fct_sync_conflicts') }}
    {% if is_incremental() %}
    where occurred_at >= {{ earliest }}
        and (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

event_span as (
    select
        integration_id,
        session_id,
        arg_min(provider, (occurred_at, event_id)) as provider,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        max(ingested_at) as last_ingested_at
    from session_events
    group by integration_id, session_id
),

creation as (
    -- a session created twice (two distinct events) keeps its first creation
    select
        integration_id,
        session_id,
        created_at,
        sync_type,
        direction,
        triggered_by,
        retry_of,
        entity_types
    from session_created
    qualify row_number() over (partition by integration_id, session_id order by created_at, event_id) = 1
),

current_status as (
    select
        integration_id,
        session_id,
        status,
        stage as status_stage,
        reason as status_reason,
        occurred_at as status_at,
        {{ is_terminal_status('status') }} as is_terminal
    from status_history
    qualify row_number() over (
        partition by integration_id, session_id
        order by {{ status_fold_order('status', 'occurred_at', 'event_id') }}
    ) = 1
),

record_counts as (
    select
        integration_id,
        session_id,
        cast(sum(records_processed) as bigint) as records_processed,
        cast(sum(records_created) as bigint) as records_created,
        cast(sum(records_updated) as bigint) as records_updated,
        cast(sum(records_deleted) as bigint) as records_deleted,
        cast(sum(records_skipped) as bigint) as records_skipped,
        cast(sum(records_failed) as bigint) as records_failed
    from entity_progress
    group by integration_id, session_id
),

error_summary as (
    select
        integration_id,
        session_id,
        count(*) as error_count,
        arg_max(category, (occurred_at, event_id)) as last_error_category,
        arg_max(message, (occurred_at, event_id)) as last_error_message,
        max(occurred_at) as last_error_at
    from session_errors
    group by integration_id, session_id
),

warning_counts as (
    select integration_id, session_id, count(*) as warning_count
    from session_warnings
    group by integration_id, session_id
),

conflict_counts as (
    select integration_id, session_id, count(*) as conflict_count
    from session_conflicts
    group by integration_id, session_id
),

final as (
    select
        event_span.session_id,
        event_span.integration_id,
        event_span.provider,
        creation.sync_type,
        creation.direction,
        creation.triggered_by,
        creation.retry_of,
        creation.entity_types,
        coalesce(current_status.status, 'pending') as status,
        current_status.status_stage,
        current_status.status_reason,
        coalesce(current_status.is_terminal, false) as is_terminal,
        {{ session_outcome('current_status.status') }} as outcome,
        creation.created_at,
        coalesce(creation.created_at, event_span.first_event_at) as started_at,
        case when current_status.is_terminal then current_status.status_at end as ended_at,
        event_span.first_event_at,
        event_span.last_event_at,
        case
            when current_status.is_terminal
                then date_diff(
                    'microsecond', coalesce(creation.created_at, event_span.first_event_at), current_status.status_at
                ) / 1e6
        end as duration_seconds,
        coalesce(record_counts.records_processed, 0) as records_processed,
        coalesce(record_counts.records_created, 0) as records_created,
        coalesce(record_counts.records_updated, 0) as records_updated,
        coalesce(record_counts.records_deleted, 0) as records_deleted,
        coalesce(record_counts.records_skipped, 0) as records_skipped,
        coalesce(record_counts.records_failed, 0) as records_failed,
        coalesce(error_summary.error_count, 0) as error_count,
        coalesce(warning_counts.warning_count, 0) as warning_count,
        coalesce(conflict_counts.conflict_count, 0) as conflict_count,
        error_summary.last_error_category,
        error_summary.last_error_message,
        error_summary.last_error_at,
        event_span.last_ingested_at
    from event_span
    left join creation using (integration_id, session_id)
    left join current_status using (integration_id, session_id)
    left join record_counts using (integration_id, session_id)
    left join error_summary using (integration_id, session_id)
    left join warning_counts using (integration_id, session_id)
    left join conflict_counts using (integration_id, session_id)
)

select * from final
