-- timeout_threshold: sessions time out. Holds when timed-out sessions among the last `last_sessions`
-- finished sessions, plus sessions still running past their stall limit, number at least
-- `timed_out_sessions`; only sessions that ended (or started) within `window_minutes` count.
-- Stall limit: the longer of `stalled_minutes` and `stall_factor` times the 95th percentile duration
-- of the integration's finished runs of the same sync type over the 7 days before the run's day, so
-- a run that is stuck counts before the platform kills it, and a long nightly full sync does not.
-- Looking at the last few runs, not a plain count in the window, keeps two unrelated timeouts hours
-- apart from paging and one good run amid timeouts from clearing the alert. Sessions are numbered
-- per integration in the order they ended, with a running count of timeouts: ASOF lookups at the
-- tick and the window's start, and one equality lookup `last_sessions` runs back.
-- A session is (integration_id, session_id): session ids are unique per integration only.
WITH params AS (
    SELECT integration_id, any_value(provider) AS provider,
           max(value) FILTER (WHERE name = 'timed_out_sessions') AS timed_out_sessions,
           max(value) FILTER (WHERE name = 'last_sessions') AS last_sessions,
           max(value) FILTER (WHERE name = 'stalled_minutes') AS stalled_minutes,
           max(value) FILTER (WHERE name = 'stall_factor') AS stall_factor,
           max(value) FILTER (WHERE name = 'window_minutes') AS window_minutes,
           to_microseconds(CAST(max(value) FILTER (WHERE name = 'window_minutes') * 60e6 AS BIGINT)) AS win
    FROM _alert_params WHERE rule = 'timeout_threshold' GROUP BY integration_id
),
bounds AS (SELECT min(tick) AS first_tick, max(tick) AS last_tick FROM _alert_ticks),
grid AS (SELECT t.tick, p.*, t.tick - p.win AS since FROM _alert_ticks AS t CROSS JOIN params AS p),
ended AS (
    SELECT s.integration_id, s.ended_at AS ts, s.session_id, s.status = 'timed_out' AS timed_out,
           s.duration_seconds, s.status_reason,
           row_number() OVER (PARTITION BY s.integration_id ORDER BY s.ended_at, s.session_id) AS seq
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.ended_at > b.first_tick - p.win AND s.ended_at <= b.last_tick
),
running AS (
    SELECT *, sum(timed_out::INTEGER) OVER (PARTITION BY integration_id ORDER BY seq ROWS UNBOUNDED PRECEDING) AS cum
    FROM ended
),
long_runs AS (
    -- runs that went on for at least the stall floor by the last tick: the only stall candidates
    SELECT s.integration_id, s.session_id, s.sync_type, s.started_at, s.ended_at, p.stalled_minutes, p.stall_factor
    FROM marts.fct_sync_sessions AS s
    JOIN params AS p ON p.integration_id = s.integration_id
    CROSS JOIN bounds AS b
    WHERE s.started_at > b.first_tick - p.win AND s.started_at <= b.last_tick
      AND least(coalesce(s.ended_at, b.last_tick), b.last_tick) - s.started_at
          >= to_microseconds(CAST(p.stalled_minutes * 60e6 AS BIGINT))
),
limits AS (
    SELECT r.integration_id, r.session_id,
           greatest(r.stalled_minutes * 60,
                    r.stall_factor * coalesce(quantile_cont(h.duration_seconds, 0.95), 0)) AS limit_seconds
    FROM long_runs AS r
    LEFT JOIN marts.fct_sync_sessions AS h ON h.integration_id = r.integration_id AND h.sync_type = r.sync_type
        AND h.status <> 'timed_out' AND h.ended_at < date_trunc('day', r.started_at)
        AND h.ended_at >= date_trunc('day', r.started_at) - INTERVAL 7 DAYS
    GROUP BY r.integration_id, r.session_id, r.stalled_minutes, r.stall_factor
),
stalls AS (
    SELECT r.integration_id, r.session_id, r.started_at, r.ended_at,
           r.started_at + to_microseconds(CAST(l.limit_seconds * 1e6 AS BIGINT)) AS stalled_at
    FROM long_runs AS r JOIN limits AS l USING (integration_id, session_id)
),
latest AS (
    SELECT g.*, rn.seq AS last_seq, coalesce(rn.cum, 0) AS cum,
           greatest(coalesce(rn.seq, 0) - CAST(g.last_sessions AS BIGINT), coalesce(ro.seq, 0)) AS lower_seq
    FROM grid AS g
    ASOF LEFT JOIN running AS rn ON rn.integration_id = g.integration_id AND rn.ts <= g.tick
    ASOF LEFT JOIN running AS ro ON ro.integration_id = g.integration_id AND ro.ts <= g.since
),
stalled_now AS (
    SELECT g.integration_id, g.tick, count(*) AS stalled, list(s.session_id ORDER BY s.started_at DESC) AS ids,
           min(s.stalled_at) AS first_at
    FROM grid AS g
    JOIN stalls AS s ON s.integration_id = g.integration_id AND s.stalled_at <= g.tick
        AND (s.ended_at IS NULL OR s.ended_at > g.tick) AND s.started_at > g.since
    GROUP BY g.integration_id, g.tick
),
counted AS (
    SELECT l.*, l.cum - coalesce(lo.cum, 0) AS timed_out, l.last_seq - l.lower_seq AS considered,
           coalesce(sn.stalled, 0) AS stalled, sn.ids AS stalled_ids, sn.first_at AS first_stalled_at
    FROM latest AS l
    LEFT JOIN running AS lo ON lo.integration_id = l.integration_id AND lo.seq = l.lower_seq
    LEFT JOIN stalled_now AS sn ON sn.integration_id = l.integration_id AND sn.tick = l.tick
),
hits AS (SELECT * FROM counted WHERE timed_out > 0 AND timed_out + stalled >= timed_out_sessions),
evidence AS (
    SELECT h.integration_id, h.tick, min(s.ts) AS first_at,
           list(s.session_id ORDER BY s.ts DESC) AS session_ids,
           max(s.duration_seconds) AS longest_seconds, arg_max(s.status_reason, s.ts) AS last_reason
    FROM hits AS h
    JOIN running AS s ON s.integration_id = h.integration_id AND s.seq > h.lower_seq AND s.seq <= h.last_seq
        AND s.timed_out
    GROUP BY h.integration_id, h.tick
)
SELECT h.integration_id, h.provider, h.tick, least(e.first_at, h.first_stalled_at) AS started_at,
       (h.timed_out + h.stalled)::DOUBLE AS value, h.timed_out_sessions AS threshold,
       printf('%d of the last %d finished sessions timed out%s (latest: %s)', h.timed_out, h.considered,
              CASE WHEN h.stalled > 0 THEN printf('; %d more running past its stall limit', h.stalled) ELSE '' END,
              coalesce(e.last_reason, 'no reason given')) AS summary,
       to_json({
           'session_ids': list_concat(coalesce(h.stalled_ids, []::VARCHAR[]), e.session_ids),
           'figures': {'timed_out_sessions': h.timed_out, 'sessions_considered': h.considered,
                       'stalled_sessions': h.stalled, 'stalled_session_ids': h.stalled_ids,
                       'longest_run_seconds': round(e.longest_seconds, 1), 'latest_reason': e.last_reason,
                       'window_minutes': h.window_minutes}
       })::VARCHAR AS evidence
FROM hits AS h JOIN evidence AS e ON e.integration_id = h.integration_id AND e.tick = h.tick
