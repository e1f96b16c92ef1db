-- Whether a table or view exists (a fresh warehouse has no marts yet, one never scored no anomalies).
SELECT count(*) > 0 FROM information_schema.tables WHERE table_schema = $schema AND table_name = $table;
