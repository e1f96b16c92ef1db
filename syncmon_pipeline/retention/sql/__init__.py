"""SQL of data retention (loaded with syncmon_pipeline.sql_files)."""
