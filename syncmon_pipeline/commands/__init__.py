"""Operator actions as files: the API submits them, the pipeline applies them (see `inbox`)."""
