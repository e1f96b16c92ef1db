UPDATE alerts.delivery_attempts
SET outcome = 'unknown', error = $error
WHERE outcome IS NULL;
