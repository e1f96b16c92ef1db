{#-
    The body of mart_sync_timeseries_hourly and _daily: one row per integration and bucket, plus
    one row per bucket with integration_id '__all__' for the whole fleet. Every integration has a
    row for every bucket between its first and last sighting (zeros where nothing happened), and
    '__all__' for every bucket between the first and last sighting of any integration.

    Counts add up: the '__all__' row of a bucket is the sum of the integration rows. Averages and
    percentiles of '__all__' rows are computed over the underlying events, not averaged.

    Buckets (UTC) and what falls in them:
      sessions_started                 sessions by started_at
      sessions_ended, _completed (completed, completed_with_warnings), _partially_completed,
      _failed (failed, timed_out), _cancelled, success_rate, avg/p95 duration_seconds
                                       terminal sessions by ended_at; success_rate leaves
                                       cancelled sessions out
      records_processed, records_failed   final per-entity counts, by the time they were reported
      errors_<category>, errors_total  errors by occurred_at
      conflicts, conflicts_unresolved  conflicts by occurred_at
      api_calls, api_latency_ms_avg (call-weighted mean of the sessions' averages),
      api_latency_ms_p95 (95th percentile of the p95s the sessions reported), throughput_rps (mean)
                                       metrics reports by occurred_at
      health_checks, health_checks_unreachable, health_check_latency_ms_avg
                                       health checks by checked_at
-#}
{% macro sync_timeseries(grain) %}
{%- set step = "interval 1 hour" if grain == 'hour' else "interval 1 day" -%}
{%- set categories = ['network', 'authentication', 'rate_limit', 'validation', 'conflict', 'system'] -%}

-- not materialized: each fact is read by the scope and by its aggregate, and a materialized copy
-- of the whole table would come before the time filters
with sessions as not materialized (
    select * from {{ ref('fct_sync_sessions') }}
),

entity_progress as not materialized (
    select * from {{ ref('int_session_entity_progress') }}
),

session_errors as not materialized (
    select * from {{ ref('fct_sync_errors') }}
),

session_conflicts as not materialized (
    select * from {{ ref('fct_sync_conflicts') }}
),

session_metrics as not materialized (
    select * from {{ ref('fct_session_metrics') }}
),

health_checks as not materialized (
    select * from {{ ref('fct_health_checks') }}
),

integrations as (
    select * from {{ ref('dim_integrations') }}
),

{% if is_incremental() -%}
{{ refresh_scope(grain, this) }}
{%- else -%}
-- a first build or a full refresh: every bucket of every integration
scope as (
    select integration_id, null::timestamp as from_bucket from integrations
    union all
    select '__all__', null::timestamp
),
{%- endif %}

-- the earliest instant any fact read below can fall in (everything on a full build)
recompute_from as (
    select coalesce(min(from_bucket), timestamp '1970-01-01') as from_bucket from scope
),

integration_spans as (
    select integrations.integration_id, first_seen_at, last_seen_at, scope.from_bucket
    from integrations
    inner join scope on integrations.integration_id = scope.integration_id
    union all
    select '__all__', min(first_seen_at), max(last_seen_at), (select from_bucket from scope where integration_id = '__all__')
    from integrations
    having count(*) > 0 and (select count(*) from scope where integration_id = '__all__') > 0
),

buckets as (
    select
        integration_id,
        from_bucket,
        unnest(generate_series(
            greatest(date_trunc('{{ grain }}', first_seen_at), coalesce(from_bucket, date_trunc('{{ grain }}', first_seen_at))),
            date_trunc('{{ grain }}', last_seen_at),
            {{ step }}
        )) as bucket_start
    from integration_spans
),

started as (
    select
        {{ timeseries_key(grain, 'started_at') }},
        count(*) as sessions_started,
        max(last_ingested_at) as last_ingested_at
    from sessions
    where started_at >= (select from_bucket from recompute_from)
    group by {{ timeseries_grouping() }}
),

ended as (
    select
        {{ timeseries_key(grain, 'ended_at') }},
        count(*) as sessions_ended,
        count(*) filter (where outcome = 'succeeded') as sessions_completed,
        count(*) filter (where outcome = 'partial') as sessions_partially_completed,
        count(*) filter (where outcome = 'failed') as sessions_failed,
        count(*) filter (where outcome = 'cancelled') as sessions_cancelled,
        avg(duration_seconds) as duration_seconds_avg,
        quantile_cont(duration_seconds, 0.95) as duration_seconds_p95,
        max(last_ingested_at) as last_ingested_at
    from sessions
    where is_terminal and ended_at >= (select from_bucket from recompute_from)
    group by {{ timeseries_grouping() }}
),

records as (
    select
        {{ timeseries_key(grain, 'reported_at') }},
        cast(sum(records_processed) as bigint) as records_processed,
        cast(sum(records_failed) as bigint) as records_failed,
        max(ingested_at) as last_ingested_at
    from entity_progress
    where reported_at >= (select from_bucket from recompute_from)
    group by {{ timeseries_grouping() }}
),

errors as (
    select
        {{ timeseries_key(grain, 'occurred_at') }},
        {%- for category in categories %}
        count(*) filter (where category = '{{ category }}') as errors_{{ category }},
        {%- endfor %}
        count(*) as errors_total,
        max(ingested_at) as last_ingested_at
    from session_errors
    where occurred_at >= (select from_bucket from recompute_from)
    group by {{ timeseries_grouping() }}
),

conflicts as (
    select
        {{ timeseries_key(grain, 'occurred_at') }},
        count(*) as conflicts,
        count(*) filter (where not is_resolved) as conflicts_unresolved,
        max(ingested_at) as last_ingested_at
    from session_conflicts
    where occurred_at >= (select from_bucket from recompute_from)
    group by {{ timeseries_grouping() }}
),

metrics as (
    select
        {{ timeseries_key(grain, 'occurred_at') }},
        cast(sum(api_calls) as bigint) as api_calls,
        coalesce(
            sum(api_latency_ms_avg * api_calls) filter (where api_calls > 0)
                / nullif(sum(api_calls) filter (where api_calls > 0 and api_latency_ms_avg is not null), 0),
            avg(api_latency_ms_avg)
        ) as api_latency_ms_avg,
        quantile_cont(api_latency_ms_p95, 0.95) as api_latency_ms_p95,
        avg(throughput_rps) as throughput_rps,
        max(ingested_at) as last_ingested_at
    from session_metrics
    where occurred_at >= (select from_bucket from recompute_from)
    group by {{ timeseries_grouping() }}
),

checks as (
    select
        {{ timeseries_key(grain, 'checked_at') }},
        count(*) as health_checks,
        count(*) filter (where not is_reachable) as health_checks_unreachable,
        avg(latency_ms) as health_check_latency_ms_avg,
        max(ingested_at) as last_ingested_at
    from health_checks
    where checked_at >= (select from_bucket from recompute_from)
    group by {{ timeseries_grouping() }}
),

final as (
    select
        buckets.integration_id,
        buckets.bucket_start,
        buckets.bucket_start + {{ step }} as bucket_end,
        coalesce(started.sessions_started, 0) as sessions_started,
        coalesce(ended.sessions_ended, 0) as sessions_ended,
        coalesce(ended.sessions_completed, 0) as sessions_completed,
        coalesce(ended.sessions_partially_completed, 0) as sessions_partially_completed,
        coalesce(ended.sessions_failed, 0) as sessions_failed,
        coalesce(ended.sessions_cancelled, 0) as sessions_cancelled,
        ended.sessions_completed / nullif(ended.sessions_ended - ended.sessions_cancelled, 0) as success_rate,
        ended.duration_seconds_avg,
        ended.duration_seconds_p95,
        coalesce(records.records_processed, 0) as records_processed,
        coalesce(records.records_failed, 0) as records_failed,
        {%- for category in categories %}
        coalesce(errors.errors_{{ category }}, 0) as errors_{{ category }},
        {%- endfor %}
        coalesce(errors.errors_total, 0) as errors_total,
        coalesce(conflicts.conflicts, 0) as conflicts,
        coalesce(conflicts.conflicts_unresolved, 0) as conflicts_unresolved,
        coalesce(metrics.api_calls, 0) as api_calls,
        metrics.api_latency_ms_avg,
        metrics.api_latency_ms_p95,
        metrics.throughput_rps,
        coalesce(checks.health_checks, 0) as health_checks,
        coalesce(checks.health_checks_unreachable, 0) as health_checks_unreachable,
        checks.health_check_latency_ms_avg,
        greatest(
            started.last_ingested_at, ended.last_ingested_at, records.last_ingested_at, errors.last_ingested_at,
            conflicts.last_ingested_at, metrics.last_ingested_at, checks.last_ingested_at
        ) as last_ingested_at
    from buckets
    {%- for part in ['started', 'ended', 'records', 'errors', 'conflicts', 'metrics', 'checks'] %}
    left join {{ part }}
        on buckets.integration_id = {{ part }}.integration_id and buckets.bucket_start = {{ part }}.bucket_start
    {%- endfor %}
)

select * from final
{% endmacro %}

{#- The (integration_id, bucket_start) key of one aggregate, '__all__' on the fleet-wide rows. -#}
{% macro timeseries_key(grain, time_column) -%}
    case when grouping(integration_id) = 1 then '__all__' else integration_id end as integration_id,
        date_trunc('{{ grain }}', {{ time_column }}) as bucket_start
{%- endmacro %}

{% macro timeseries_grouping() -%}
    grouping sets ((integration_id, bucket_start), (bucket_start))
{%- endmacro %}
