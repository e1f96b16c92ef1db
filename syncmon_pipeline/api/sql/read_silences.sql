-- Silences newest first, one keyset page (cursor: the last row's created_at, silence_id). Without
-- $include_expired: the ones in force or still to come at $now (as `syncmon alerts silences`).
SELECT silence_id, matchers, starts_at, ends_at, author, comment, created_at, expired_at,
       CASE WHEN expired_at IS NOT NULL OR ends_at <= $now::TIMESTAMP THEN 'expired'
            WHEN starts_at > $now::TIMESTAMP THEN 'scheduled' ELSE 'active' END AS state
FROM alerts.silences
WHERE ($include_expired OR (expired_at IS NULL AND ends_at > $now::TIMESTAMP))
  AND ($after_id IS NULL
       OR created_at < $after_at::TIMESTAMP
       OR (created_at = $after_at::TIMESTAMP AND silence_id < $after_id))
ORDER BY created_at DESC, silence_id DESC
LIMIT $limit;
