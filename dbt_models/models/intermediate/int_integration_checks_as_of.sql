-- Health-check signals per integration at as_of (checks with checked_at <= as_of only).
--
-- availability: share of reachable checks in the window (as_of - 24h / 7d / 30d, as_of].
-- last_auth_status: the latest auth_status reported (unreachable checks report none).
-- latest_checks_unreachable: how many of the latest checks in a row were unreachable.
--
-- A table, read from fct_health_checks (typed columns, no JSON), in plain aggregates: ordering every
-- check of the history by recency cost most of the refresh on a long history.

{{ config(materialized='table') }}

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

checks as (
    select health_checks.*, as_of.as_of
    from {{ ref('fct_health_checks') }} as health_checks
    inner join as_of on health_checks.checked_at <= as_of.as_of
),

summary as (
    -- "latest" is by checked_at, then event_id (deterministic on ties)
    select
        integration_id,
        count(*) as health_checks,
        max(checked_at) as last_health_check_at,
        arg_max(is_reachable, (checked_at, event_id)) as last_health_check_reachable,
        max((checked_at, event_id)) filter (where is_reachable) as latest_reachable,
        arg_max(auth_status, (checked_at, event_id)) filter (where auth_status is not null) as last_auth_status,
        max(checked_at) filter (where auth_status is not null) as last_auth_status_at,
        count(*) filter (where not is_reachable and checked_at > as_of - interval 1 hour) as unreachable_checks_1h,
        count(*) filter (where checked_at > as_of - interval 24 hour) as checks_24h,
        count(*) filter (where checked_at > as_of - interval 7 day) as checks_7d,
        count(*) filter (where checked_at > as_of - interval 30 day) as checks_30d,
        count(*) filter (where is_reachable and checked_at > as_of - interval 24 hour) as reachable_24h,
        count(*) filter (where is_reachable and checked_at > as_of - interval 7 day) as reachable_7d,
        count(*) filter (where is_reachable and checked_at > as_of - interval 30 day) as reachable_30d
    from checks
    group by integration_id
),

unreachable_since as (
    -- the checks after the latest reachable one (all of them were unreachable)
    select checks.integration_id, count(*) as latest_checks_unreachable
    from checks
    inner join summary on checks.integration_id = summary.integration_id
    where summary.latest_reachable is not null and (checks.checked_at, checks.event_id) > summary.latest_reachable
    group by checks.integration_id
),

final as (
    select
        summary.integration_id,
        summary.health_checks,
        summary.last_health_check_at,
        summary.last_health_check_reachable,
        case
            when summary.latest_reachable is null then summary.health_checks
            else coalesce(unreachable_since.latest_checks_unreachable, 0)
        end as latest_checks_unreachable,
        summary.last_auth_status,
        summary.last_auth_status_at,
        summary.unreachable_checks_1h,
        summary.reachable_24h / nullif(summary.checks_24h, 0) as availability_24h,
        summary.reachable_7d / nullif(summary.checks_7d, 0) as availability_7d,
        summary.reachable_30d / nullif(summary.checks_30d, 0) as availability_30d
    from summary
    left join unreachable_since on summary.integration_id = unreachable_since.integration_id
)

select * from final
