"""The `syncmon` command: simulate events, run the pipeline once headless."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _run_once_command(args: argparse.Namespace) -> int:
    from syncmon_pipeline.dbt_project import DbtManifestError, ensure_manifest

    try:
        ensure_manifest()  # the code location cannot load without it
    except DbtManifestError as error:
        print(f"syncmon run-once: {error}", file=sys.stderr)
        return 2
    from syncmon_pipeline.runner import run_once  # loads the code location: only this command needs it

    summary = run_once()
    print(summary.render())
    return 0 if summary.success else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="syncmon", description="Monitor for data-synchronisation pipelines.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run-once", help="Ingest everything in the landing folder and build every asset, then print a summary."
    )
    run.set_defaults(func=_run_once_command)
    from syncmon_pipeline.api.server import register_cli as register_api_cli
    from syncmon_pipeline.cli_alerts import register_cli as register_alerts_cli
    from syncmon_pipeline.simulator import register_cli

    register_cli(commands)
    register_alerts_cli(commands)
    register_api_cli(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
