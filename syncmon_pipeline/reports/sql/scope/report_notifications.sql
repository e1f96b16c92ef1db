CREATE OR REPLACE TEMP TABLE report_notifications AS
SELECT channel, transition, status, created_at, delivered_at, attempts
FROM alerts.notifications
WHERE created_at >= $start AND created_at < $end;
