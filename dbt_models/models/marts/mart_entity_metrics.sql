-- Per integration and entity type, plus one row per entity type with integration_id '__all__'
-- (the sum over integrations): sessions that reported the entity type, final record counts
-- (latest progress report per session and entity type), errors and conflicts on that entity type.
-- Reports, errors and conflicts without an entity type are left out.
--
-- Incremental: only the integrations with facts ingested since the last refresh (after the newest
-- last_ingested_at held here, as in macro refresh_scope), or whose provider changed, are
-- recomputed from all their facts; the '__all__' rows are summed again from every integration's
-- row. delete+insert on integration_id, so a recomputed integration keeps no stale entity row.
-- `dbt build --full-refresh` gives the same rows (tests/test_incremental_marts.py).

{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='integration_id',
        on_schema_change='append_new_columns'
    )
}}

with integrations as (
    select * from {{ ref('dim_integrations') }}
),

{% if is_incremental() %}
watermark as (
    select coalesce(max(last_ingested_at), timestamp '1970-01-01') as ingested_at from {{ this }}
),

touched as (
    select integration_id from {{ ref('int_session_entity_progress') }}
    where ingested_at > (select ingested_at from watermark)
    union
    select integration_id from {{ ref('fct_sync_errors') }} where ingested_at > (select ingested_at from watermark)
    union
    select integration_id from {{ ref('fct_sync_conflicts') }} where ingested_at > (select ingested_at from watermark)
    union
    select built.integration_id from {{ this }} as built
    inner join integrations on built.integration_id = integrations.integration_id
    where built.provider is distinct from integrations.provider
),
{% endif %}

entity_progress as (
    select * from {{ ref('int_session_entity_progress') }}
    {% if is_incremental() %}where integration_id in (select integration_id from touched){% endif %}
),

session_errors as (
    select * from {{ ref('fct_sync_errors') }}
    {% if is_incremental() %}where integration_id in (select integration_id from touched){% endif %}
),

session_conflicts as (
    select * from {{ ref('fct_sync_conflicts') }}
    {% if is_incremental() %}where integration_id in (select integration_id from touched){% endif %}
),

records as (
    select
        integration_id,
        entity_type,
        count(*) as sessions_reporting,  -- one row per session and entity type (int_session_entity_progress)
        cast(sum(records_processed) as bigint) as records_processed,
        cast(sum(records_created) as bigint) as records_created,
        cast(sum(records_updated) as bigint) as records_updated,
        cast(sum(records_deleted) as bigint) as records_deleted,
        cast(sum(records_skipped) as bigint) as records_skipped,
        cast(sum(records_failed) as bigint) as records_failed,
        max(reported_at) as last_reported_at,
        max(ingested_at) as last_ingested_at
    from entity_progress
    where entity_type is not null
    group by integration_id, entity_type
),

errors as (
    select
        integration_id,
        entity_type,
        count(*) as errors,
        count(*) filter (where category = 'validation') as validation_errors,
        max(ingested_at) as last_ingested_at
    from session_errors
    where entity_type is not null
    group by integration_id, entity_type
),

conflicts as (
    select
        integration_id,
        entity_type,
        count(*) as conflicts,
        count(*) filter (where not is_resolved) as conflicts_unresolved,
        max(ingested_at) as last_ingested_at
    from session_conflicts
    where entity_type is not null
    group by integration_id, entity_type
),

per_integration as (
    select
        coalesce(records.integration_id, errors.integration_id, conflicts.integration_id) as integration_id,
        coalesce(records.entity_type, errors.entity_type, conflicts.entity_type) as entity_type,
        coalesce(records.sessions_reporting, 0) as sessions_reporting,
        coalesce(records.records_processed, 0) as records_processed,
        coalesce(records.records_created, 0) as records_created,
        coalesce(records.records_updated, 0) as records_updated,
        coalesce(records.records_deleted, 0) as records_deleted,
        coalesce(records.records_skipped, 0) as records_skipped,
        coalesce(records.records_failed, 0) as records_failed,
        coalesce(errors.errors, 0) as errors,
        coalesce(errors.validation_errors, 0) as validation_errors,
        coalesce(conflicts.conflicts, 0) as conflicts,
        coalesce(conflicts.conflicts_unresolved, 0) as conflicts_unresolved,
        records.last_reported_at,
        greatest(records.last_ingested_at, errors.last_ingested_at, conflicts.last_ingested_at) as last_ingested_at
    from records
    full outer join errors
        on records.integration_id = errors.integration_id and records.entity_type = errors.entity_type
    full outer join conflicts
        on coalesce(records.integration_id, errors.integration_id) = conflicts.integration_id
        and coalesce(records.entity_type, errors.entity_type) = conflicts.entity_type
),

every_integration as (
    -- the recomputed integrations and, on an incremental refresh, the rows of all the others
    select * from per_integration
    {% if is_incremental() %}
    union all by name
    select * exclude (provider, records_failed_rate) from {{ this }}
    where integration_id <> '__all__' and integration_id not in (select integration_id from touched)
    {% endif %}
),

fleet as (
    select
        '__all__' as integration_id,
        entity_type,
        sum(sessions_reporting) as sessions_reporting,
        sum(records_processed) as records_processed,
        sum(records_created) as records_created,
        sum(records_updated) as records_updated,
        sum(records_deleted) as records_deleted,
        sum(records_skipped) as records_skipped,
        sum(records_failed) as records_failed,
        sum(errors) as errors,
        sum(validation_errors) as validation_errors,
        sum(conflicts) as conflicts,
        sum(conflicts_unresolved) as conflicts_unresolved,
        max(last_reported_at) as last_reported_at,
        max(last_ingested_at) as last_ingested_at
    from every_integration
    group by entity_type
),

combined as (
    select * from per_integration
    union all by name
    select * from fleet
),

final as (
    select
        combined.integration_id,
        integrations.provider,
        combined.entity_type,
        cast(combined.sessions_reporting as bigint) as sessions_reporting,
        cast(combined.records_processed as bigint) as records_processed,
        cast(combined.records_created as bigint) as records_created,
        cast(combined.records_updated as bigint) as records_updated,
        cast(combined.records_deleted as bigint) as records_deleted,
        cast(combined.records_skipped as bigint) as records_skipped,
        cast(combined.records_failed as bigint) as records_failed,
        combined.records_failed / nullif(combined.records_processed, 0) as records_failed_rate,
        cast(combined.errors as bigint) as errors,
        cast(combined.validation_errors as bigint) as validation_errors,
        cast(combined.conflicts as bigint) as conflicts,
        cast(combined.conflicts_unresolved as bigint) as conflicts_unresolved,
        combined.last_reported_at,
        combined.last_ingested_at
    from combined
    left join integrations on combined.integration_id = integrations.integration_id
)

select * from final
