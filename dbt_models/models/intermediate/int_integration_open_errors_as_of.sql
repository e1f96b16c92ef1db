-- Error categories still open per integration at as_of: categories of errors that occurred after
-- the integration's last successful session ended (within the 30 days before as_of), i.e. not
-- yet followed by a success.

{{ config(materialized='table') }}

with as_of as (
    select as_of from {{ ref('int_as_of') }}
),

session_errors as (
    select * from {{ ref('fct_sync_errors') }}
),

integration_sessions as (
    select * from {{ ref('int_integration_sessions_as_of') }}
),

open_errors as (
    select
        session_errors.integration_id,
        session_errors.category,
        session_errors.occurred_at
    from session_errors
    cross join as_of
    left join integration_sessions on session_errors.integration_id = integration_sessions.integration_id
    where session_errors.occurred_at <= as_of.as_of
        and session_errors.occurred_at > as_of.as_of - interval 30 day
        and session_errors.occurred_at > coalesce(integration_sessions.last_successful_sync_at, timestamp '1970-01-01')
),

final as (
    select
        integration_id,
        list_sort(list_distinct(list(category))) as open_error_categories,
        count(*) as open_errors,
        max(occurred_at) as last_open_error_at
    from open_errors
    group by integration_id
)

select * from final
