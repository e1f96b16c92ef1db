-- The instant the health models are computed for: dbt var `as_of` (ISO 8601, UTC), or by default
-- the latest occurred_at among the raw events, so a replay over the same events gives the same
-- answer whenever it runs. With no events yet (a fresh install) it is the current time, so the health
-- models build (empty) instead of failing on a null instant.

{% set as_of = as_of_literal() %}

with sync_events as (
    select * from {{ ref('stg_sync_events') }}
),

final as (
    {% if as_of is none %}
    select
        coalesce(max(occurred_at), cast(timezone('UTC', now()) as timestamp)) as as_of,
        case when max(occurred_at) is null then 'no_events' else 'latest_event' end as as_of_source
    from sync_events
    {% else %}
    select {{ as_of }} as as_of, 'var' as as_of_source
    {% endif %}
)

select * from final
