-- One alert by its full id.
SELECT * FROM alerts.alerts WHERE alert_id = $alert_id;
