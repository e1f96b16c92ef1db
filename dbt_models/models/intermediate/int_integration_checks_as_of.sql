-- Health-check signals per integration at as_of (checks with checked_at <= as_of only).
--
-- availability: share of reachable checks in the window (as_of - 24h / 7d / 30d, as_of].
-- last_auth_status: the latest auth_status reported (unreachable checks report none).
-- latest_checks_unreachable: how many of the latest checks in a row were unreachable.

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

health_checks as (
    select * from {{ ref('stg_health_checks') }}
),

checks as (
    select
        health_checks.*,
        as_of.as_of,
        row_number() over (
            partition by integration_id order by checked_at desc, event_id desc
        ) as recency
    from health_checks
    inner join as_of on health_checks.checked_at <= as_of.as_of
),

latest_reachable as (
    -- the most recent reachable check; every later one was unreachable
    select integration_id, min(recency) as recency
    from checks
    where is_reachable
    group by integration_id
),

summary as (
    select
        checks.integration_id,
        count(*) as health_checks,
        max(checked_at) as last_health_check_at,
        arg_min(is_reachable, recency) as last_health_check_reachable,
        arg_min(auth_status, recency) filter (where auth_status is not null) as last_auth_status,
        max(checked_at) filter (where auth_status is not null) as last_auth_status_at,
        count(*) filter (where not is_reachable and checked_at > as_of - interval 1 hour) as unreachable_checks_1h,
        count(*) filter (where checked_at > as_of - interval 24 hour) as checks_24h,
        count(*) filter (where checked_at > as_of - interval 7 day) as checks_7d,
        count(*) filter (where checked_at > as_of - interval 30 day) as checks_30d,
        count(*) filter (where is_reachable and checked_at > as_of - interval 24 hour) as reachable_24h,
        count(*) filter (where is_reachable and checked_at > as_of - interval 7 day) as reachable_7d,
        count(*) filter (where is_reachable and checked_at > as_of - interval 30 day) as reachable_30d
    from checks
    group by checks.integration_id
),

final as (
    select
        summary.integration_id,
        summary.health_checks,
        summary.last_health_check_at,
        summary.last_health_check_reachable,
        coalesce(latest_reachable.recency - 1, summary.health_checks) as latest_checks_unreachable,
        summary.last_auth_status,
        summary.last_auth_status_at,
        summary.unreachable_checks_1h,
        summary.reachable_24h / nullif(summary.checks_24h, 0) as availability_24h,
        summary.reachable_7d / nullif(summary.checks_7d, 0) as availability_7d,
        summary.reachable_30d / nullif(summary.checks_30d, 0) as availability_30d
    from summary
    left join latest_reachable on summary.integration_id = latest_reachable.integration_id
)

select * from final
