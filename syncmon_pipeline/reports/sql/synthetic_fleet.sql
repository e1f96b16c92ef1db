-- Synthetic analyst snapshot, step 2: providers and the fleet of integrations (TEMP tables).
-- Salts 1-19.
--
-- Integration j (0-based) uses provider j % 8, is named <provider>-<unit>-<number> and plays a role
-- that decides how its last hours look, so that every status of mart_integration_health shows up:
--   j % 24 = 1  down_auth      credentials rejected: sessions fail on authentication, checks say invalid
--   j % 24 = 13 down_network   unreachable: sessions fail on network errors, checks unreachable
--   j % 24 = 3  degraded       the last two scheduled sessions failed
--   j % 24 = 19 degraded_auth  health checks of the last two hours say the credentials are expiring
--   j % 24 = 4  stale          sessions stopped a while ago (checks go on)
--   otherwise   healthy        the latest sessions and checks are fine
-- Sessions are shared out by weight (16, 4, 16, 4, 1 over j % 5: fast, hourly-ish and slow integrations).

CREATE TEMP TABLE syn_providers AS
SELECT * FROM (VALUES
    (0, 'powerschool', 'district', '{unit}{n}.powerschool.com', '/ws/v1/district',
        ['students', 'teachers', 'sections', 'enrollments', 'attendance', 'grades'],
        [9000, 650, 2600, 38000, 55000, 80000], 180.0, 160.0, 100, 5000, false),
    (1, 'canvas', 'university', '{unit}{n}.instructure.com', '/api/v1',
        ['users', 'courses', 'enrollments', 'assignments', 'submissions'],
        [22000, 1800, 60000, 25000, 140000], 150.0, 220.0, 100, 3000, true),
    (2, 'clever', 'district', 'api.clever.com', '/v3.0/districts/{unit}{n}',
        ['schools', 'students', 'teachers', 'sections'],
        [40, 8000, 600, 2500], 120.0, 260.0, 1000, 1200, true),
    (3, 'workday', 'tenant', 'wd5-impl-services1.workday.com', '/ccx/service/{unit}{n}/Human_Resources/v41.0',
        ['employees', 'positions', 'organizations', 'payroll', 'time_off'],
        [4200, 4600, 300, 9000, 6000], 420.0, 70.0, 100, 2000, false),
    (4, 'bamboohr', 'company', 'api.bamboohr.com', '/api/gateway.php/{unit}{n}/v1',
        ['employees', 'departments', 'time_off', 'job_info'],
        [900, 40, 2500, 1800], 260.0, 90.0, 500, 1000, true),
    (5, 'netsuite', 'subsidiary', '{n}.suitetalk.api.netsuite.com', '/services/rest/record/v1',
        ['customers', 'vendors', 'invoices', 'payments', 'journal_entries'],
        [12000, 2500, 30000, 26000, 40000], 380.0, 60.0, 1000, 4000, false),
    (6, 'schoology', 'district', '{unit}{n}.schoology.com', '/v1',
        ['users', 'courses', 'sections', 'enrollments', 'grades'],
        [9000, 900, 2400, 30000, 60000], 210.0, 130.0, 200, 2500, false),
    (7, 'infinite-campus', 'district', 'campus.{unit}{n}.k12.us', '/campus/api/oneroster/v1p2',
        ['students', 'staff', 'enrollments', 'attendance', 'schedules'],
        [7000, 800, 30000, 45000, 12000], 240.0, 110.0, 200, 3000, false)
) AS t(p, provider, unit, domain, api_path, all_entities, all_weights, latency_ms, records_per_s, page_size,
       rate_limit, webhooks);

CREATE TEMP TABLE syn_integrations AS
WITH base AS (
    SELECT
        r.j,
        p.*,
        (r.j // 8) * 10 + 1 + syn_hash($seed, r.j, 1) % 9 AS number,
        [16, 4, 16, 4, 1][1 + r.j % 5] AS weight,
        CASE r.j % 24
            WHEN 1 THEN 'down_auth' WHEN 13 THEN 'down_network' WHEN 3 THEN 'degraded'
            WHEN 19 THEN 'degraded_auth' WHEN 4 THEN 'stale' ELSE 'healthy'
        END AS role,
        CASE WHEN syn_u($seed, r.j, 2) < 0.6 THEN 'inbound'
             WHEN syn_u($seed, r.j, 2) < 0.9 THEN 'bidirectional' ELSE 'outbound' END AS direction,
        -- entity types: the provider's first three always, each further one with probability 0.7
        list_filter(p.all_entities, lambda x, i: i <= 3 OR syn_u($seed, r.j * 16 + i, 3) < 0.7) AS entity_types,
        list_filter(p.all_weights, lambda x, i: i <= 3 OR syn_u($seed, r.j * 16 + i, 3) < 0.7) AS entity_weights,
        p.latency_ms * (0.7 + 0.6 * syn_u($seed, r.j, 4)) AS base_latency_ms,
        p.records_per_s * (0.6 + 0.8 * syn_u($seed, r.j, 5)) AS base_rps,
        0.5 + syn_u($seed, r.j, 6) AS size_factor,
        round(250 + 900 * syn_u($seed, r.j, 7), 1) AS memory_base_mb,
        [3600, 7200, 1800][1 + syn_hash($seed, r.j, 8) % 3] AS max_runtime_s,
        0.1 + 0.8 * syn_u($seed, r.j, 9) AS phase,
        900.0 * syn_u($seed, r.j, 10) AS check_offset_s,
        $days * 86400.0 AS span_s
    FROM range($integrations) AS r(j)
    JOIN syn_providers AS p ON p.p = r.j % 8
),
shares AS (
    SELECT
        *,
        (($sessions * weight) // sum(weight) OVER ())::BIGINT AS base_c
    FROM base
),
counted AS (
    SELECT
        *,
        (base_c + CASE WHEN j < $sessions - sum(base_c) OVER () THEN 1 ELSE 0 END)::BIGINT AS c
    FROM shares
),
placed AS (
    SELECT
        *,
        (sum(c) OVER (ORDER BY j) - c)::BIGINT AS o,
        -- a stale integration's sessions stop well before the end
        CASE WHEN role = 'stale'
             THEN span_s - least(span_s / 2, greatest(7200.0, 6 * span_s / greatest(c, 1)))
             ELSE span_s END AS active_s
    FROM counted
)
SELECT
    *,
    provider || '-' || unit || '-' || number AS integration_id,
    replace(replace(domain, '{unit}', unit), '{n}', number::VARCHAR) AS host,
    'https://' || replace(replace(domain, '{unit}', unit), '{n}', number::VARCHAR)
        || replace(replace(api_path, '{unit}', unit), '{n}', number::VARCHAR) AS api_base,
    active_s / greatest(c, 1) AS spacing_s,
    -- the trouble of a down integration: its last hours (at least 3 h, at least ~4 sessions)
    least(span_s, greatest(3 * 3600.0, 4.5 * active_s / greatest(c, 1))) AS incident_s,
    -- healthy-looking integrations: the last hours (and last sessions) are clean
    least(span_s, greatest(2 * 3600.0, 6 * active_s / greatest(c, 1))) AS protect_s,
    CASE WHEN active_s / greatest(c, 1) < 1800 THEN 'delta'
         WHEN active_s / greatest(c, 1) < 6 * 3600 THEN 'incremental' ELSE 'full' END AS cadence_type,
    list_sum(entity_weights) * size_factor AS records_held
FROM placed
ORDER BY j;
