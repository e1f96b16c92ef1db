SELECT command_id, status, reason, applied_at, result FROM alerts.applied_commands WHERE list_contains($ids, command_id);
