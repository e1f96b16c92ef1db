"""One file per scope table of a report (syncmon_pipeline.reports.scope); *.empty.sql: stand-ins."""
