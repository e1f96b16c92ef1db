"""Alerting: rules over the marts, a pure alert engine, channels and delivery with a ledger."""
