"""SQL of the alert store and the notification ledger (loaded with syncmon_pipeline.sql_files)."""
