"""A realistic, deterministic generator of sync events for a fleet of integrations.

- `simulate_history` back-fills days of activity (and writes the ground truth of the injected incidents);
- `run_live` keeps the fleet syncing in real time;
- `register_cli` adds `syncmon simulate` to an argparse CLI.

Modules, one concept each: `catalog` (providers, fleet), `rhythm` (diurnal/weekly load),
`incidents` (ground truth), `effects` (what an incident does), `workload` (records, durations,
metrics), `messages` (free text, some of it needing redaction), `sessions` (one session's
lifecycle), `health` (health checks), `stream` (simulated time), `delivery` (late, out-of-order
and duplicate delivery), `history`, `live` and `cli`.
"""

from .cli import register_cli, run_simulate
from .history import (
    SimulationSummary,
    build_history_engine,
    read_truth,
    simulate_history,
    write_history,
    write_truth,
)
from .live import LiveSummary, live_loop, run_live

__all__ = [
    "LiveSummary",
    "SimulationSummary",
    "build_history_engine",
    "live_loop",
    "read_truth",
    "register_cli",
    "run_live",
    "run_simulate",
    "simulate_history",
    "write_history",
    "write_truth",
]
