{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['integration_id', 'session_id'],
        on_schema_change='fail'
    )
}}

-- The final record counts of each session per entity type.
-- Progress counts are cumulative per (session, entity type): the latest report by occurred_at
-- (ties: most records processed, then event_id) carries the final counts. Stage-level reports
-- without an entity type form their own group (entity_type null), so totals reported without an
-- entity type are not lost; they carry zero counts when, as usual, they report none.
--
-- A session is (integration_id, session_id): session ids are unique per integration only.
--
-- Incremental: the sessions that received progress events since the last build are recomputed
-- whole (delete+insert on (integration_id, session_id)).

with session_progress as not materialized (  -- read twice; materialized, it would copy every event first
    select * from {{ ref('stg_session_progress') }}
),

touched_sessions as (
    select distinct integration_id, session_id
    from session_progress
    where {{ ingested_since_last_build() }}
),

progress_events as (
    select *
    from session_progress
    {% if is_incremental() %}
    where (integration_id, session_id) in (select integration_id, session_id from touched_sessions)
    {% endif %}
),

latest_report as (
    select
        session_id,
        integration_id,
        provider,
        entity_type,
        count(*) over entity_reports as progress_reports,
        max(ingested_at) over entity_reports as ingested_at,
        event_id as last_report_event_id,
        occurred_at as reported_at,
        stage,
        progress_pct,
        records_processed,
        records_created,
        records_updated,
        records_deleted,
        records_skipped,
        records_failed
    from progress_events
    window entity_reports as (partition by integration_id, session_id, entity_type)
    qualify row_number() over (
        partition by integration_id, session_id, entity_type
        order by occurred_at desc, records_processed desc, event_id desc
    ) = 1
)

select * from latest_report
