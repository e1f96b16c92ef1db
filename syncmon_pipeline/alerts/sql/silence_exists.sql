SELECT count(*) FROM alerts.silences WHERE silence_id = $silence_id;
