-- Synthetic analyst snapshot, last step: snapshot_info (as publish_snapshot writes it) and cleanup
-- of the TEMP helpers (they would vanish with the connection anyway).

CREATE TABLE main.snapshot_info AS
SELECT
    $end::TIMESTAMP AS published_at,
    list_sort(list(table_schema || '.' || table_name)) AS tables
FROM information_schema.tables
WHERE table_catalog = current_database() AND table_schema IN ('marts', 'anomaly', 'alerts', 'retention');

DROP TABLE IF EXISTS syn_notifications;
DROP TABLE IF EXISTS syn_alert_rows;
DROP TABLE IF EXISTS syn_scheduled;
DROP TABLE IF EXISTS syn_totals;
DROP TABLE IF EXISTS syn_errors;
DROP TABLE IF EXISTS syn_error_texts;
DROP TABLE IF EXISTS syn_progress;
DROP TABLE IF EXISTS syn_sessions;
DROP TABLE IF EXISTS syn_slots;
DROP TABLE IF EXISTS syn_slot_keys;
DROP TABLE IF EXISTS syn_integrations;
DROP TABLE IF EXISTS syn_providers;
