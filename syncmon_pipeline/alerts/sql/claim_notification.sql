-- The claim: committed before the send, so a run killed during the send leaves a trace ('sending').
UPDATE alerts.notifications
SET status = 'sending', attempts = attempts + 1
WHERE notification_id = $notification_id AND status = 'queued'
RETURNING attempts;
