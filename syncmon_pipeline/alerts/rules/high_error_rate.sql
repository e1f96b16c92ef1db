-- high_error_rate: many sessions end with errors. Over the last `last_sessions` finished sessions
-- that ended within `window_minutes` (at least `min_sessions` of them), holds when the share that
-- reported errors is at least `error_session_share` and they reported at least `errors_per_session`
-- errors per session. Looking at the last few runs rather than a time window makes the rule react
-- as fast on an hourly integration as on one syncing every few minutes. Only system, network and
-- conflict errors count: authentication, rate_limit and validation errors have rules of their own,
-- which say more precisely what is wrong.
-- Sessions are numbered per integration in the order they ended, with running totals: ASOF lookups
-- at the tick and the window's start, one equality lookup `last_sessions` runs back.
-- A session is (integration_id, session_id): session ids are unique per integration only.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'error_session_share') AS error_session_share,
           max(value) FILTER (WHERE name = 'errors_per_session') AS errors_per_session,
           max(value) FILTER (WHERE name = 'last_sessions') AS last_sessions,
           max(value) FILTER (WHERE name = 'min_sessions') AS min_sessions,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'high_error_rate' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
ended AS (
    SELECT s.integration_id, s.ended_at AS ts, s.session_id, s.status
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.ended_at > b.first_tick - p.win AND s.ended_at <= b.last_tick
),
session_errors AS (
    -- errors reported up to the session's end (nothing recorded after a tick can count at it)
    SELECT e.integration_id, e.session_id, count(*) AS errors, arg_max(e.category, e.occurred_at) AS last_category
    FROM marts.fct_sync_errors AS e
    JOIN ended AS s ON s.integration_id = e.integration_id AND s.session_id = e.session_id AND e.occurred_at <= s.ts
    WHERE e.category IN ('system', 'network', 'conflict')
    GROUP BY e.integration_id, e.session_id
),
running AS (
    SELECT s.*, coalesce(x.errors, 0) AS errors, x.last_category,
           row_number() OVER w AS seq,
           sum((coalesce(x.errors, 0) > 0)::INTEGER) OVER w AS cum_error_sessions,
           sum(coalesce(x.errors, 0)) OVER w AS cum_errors
    FROM ended AS s LEFT JOIN session_errors AS x ON x.integration_id = s.integration_id AND x.session_id = s.session_id
    WINDOW w AS (PARTITION BY s.integration_id ORDER BY s.ts, s.session_id ROWS UNBOUNDED PRECEDING)
),
latest AS (
    SELECT g.*, rn.seq AS last_seq, rn.cum_error_sessions, rn.cum_errors,
           greatest(coalesce(rn.seq, 0) - CAST(g.last_sessions AS BIGINT), coalesce(ro.seq, 0)) AS lower_seq
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
counted AS (
    SELECT l.*, l.last_seq - l.lower_seq AS sessions,
           l.cum_error_sessions - coalesce(lo.cum_error_sessions, 0) AS error_sessions,
           l.cum_errors - coalesce(lo.cum_errors, 0) AS errors
    FROM latest AS l
    LEFT JOIN running AS lo ON lo.integration_id = l.integration_id AND lo.seq = l.lower_seq
    WHERE l.last_seq IS NOT NULL
),
hits AS (
    SELECT *, error_sessions / sessions AS share
    FROM counted
    WHERE sessions > 0 AND sessions >= min_sessions
      AND error_sessions / sessions >= error_session_share
      AND errors / sessions >= errors_per_session
),
evidence AS (
    SELECT h.integration_id, h.tick, min(s.ts) AS first_at,
           list(s.session_id ORDER BY s.ts DESC) AS session_ids,
           list(DISTINCT s.last_category) FILTER (WHERE s.last_category IS NOT NULL) AS categories,
           count(*) FILTER (WHERE s.status = 'failed') AS failed
    FROM hits AS h
    JOIN running AS s ON s.integration_id = h.integration_id AND s.seq > h.lower_seq AND s.seq <= h.last_seq
        AND s.errors > 0
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, e.first_at AS started_at,
       h.share AS value, h.error_session_share AS threshold,
       printf('%d of the last %d finished sessions reported errors (%d errors, %d failed)',
              h.error_sessions, h.sessions, h.errors, e.failed) AS summary,
       to_json({
           'session_ids': e.session_ids,
           'figures': {'sessions': h.sessions, 'sessions_with_errors': h.error_sessions, 'errors': h.errors,
                       'errors_per_session': round(h.errors / h.sessions, 2), 'failed_sessions': e.failed,
                       'error_categories': e.categories, 'window_minutes': h.window_minutes}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
