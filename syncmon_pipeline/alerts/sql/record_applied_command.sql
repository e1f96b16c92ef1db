INSERT OR IGNORE INTO alerts.applied_commands VALUES ($command_id, $kind, $actor, $status, $reason, $applied_at, $result);
