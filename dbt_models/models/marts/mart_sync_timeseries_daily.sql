-- Per integration (and '__all__' for the fleet) and UTC day: sessions, outcomes, durations,
-- records, errors by category, conflicts, API latency and health checks. See macro sync_timeseries.

{{ sync_timeseries('day') }}
