SELECT min(next_attempt_at) FROM alerts.notifications WHERE status = 'queued';
