-- A claim still 'sending' when a delivery run starts belongs to a run that died between the send and
-- recording its outcome (one delivery run at a time: the warehouse has one writer). It may or may not
-- have gone out, so it is never sent again.
UPDATE alerts.notifications
SET status = 'unknown', next_attempt_at = NULL, last_error = $error
WHERE status = 'sending'
RETURNING notification_id, channel;
