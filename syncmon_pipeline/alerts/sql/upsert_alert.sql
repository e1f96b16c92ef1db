INSERT OR REPLACE INTO alerts.alerts VALUES (
    $alert_id, $fingerprint, $rule, $alert_type, $severity, $integration_id, $provider, $labels, $status,
    $started_at, $pending_since, $fired_at, $acknowledged_at, $acknowledged_by, $resolved_at, $resolved_by,
    $last_observed_at, $value, $threshold, $summary, $evidence, $escalated_at, $escalation_count,
    $silenced_by, $inhibited_by, $updated_at
);
