"""The live service (`syncmon api`): HTTP API, live stream and live dashboard beside the pipeline.

It never opens the warehouse: writes become landing files and command files (Dagster stays the one
writer); reads come from the published snapshots, opened read-only.
"""
