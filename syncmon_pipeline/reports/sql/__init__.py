"""SQL files of the reports, run with bound parameters (syncmon_pipeline.sql_files)."""
