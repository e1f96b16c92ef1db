{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['integration_id', 'bucket_start'],
        on_schema_change='append_new_columns'
    )
}}

-- Per integration (and '__all__' for the fleet) and UTC day: sessions, outcomes, durations,
-- records, errors by category, conflicts, API latency and health checks. See macro sync_timeseries.
-- Incremental: only the buckets that changed facts can touch are recomputed (macro refresh_scope);
-- `dbt build --full-refresh` gives the same rows (tests/test_incremental_marts.py).

{{ sync_timeseries('day') }}
