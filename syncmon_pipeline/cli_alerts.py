"""`syncmon alerts …`: list, show, acknowledge, resolve, silence and backtest alerts from a terminal.

Actions go through the same service functions as the Dagster UI's jobs, then deliver what they queued
(a resolved notice, say), so they work with or without `dagster dev` running.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from syncmon_pipeline.config import ConfigError, load_settings

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
LIST_COLUMNS = ("alert_id", "alert_type", "severity", "integration_id", "status", "fired_at", "resolved_at")


def parse_duration(text: str) -> timedelta:
    """"90s", "15m", "2h", "30d", "1w" -> timedelta."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 15m, 2h, 30d)")
    return timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def _matcher(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a matcher is label=value, got {text!r}")
    return name.strip(), value.strip()


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _connection():
    from syncmon_pipeline.defs.resources import WarehouseResource  # waits while a run holds the file lock

    return WarehouseResource().get_connection()


def _deliver(con, settings) -> None:
    from syncmon_pipeline.alerts import ledger
    from syncmon_pipeline.defs.resources import data_paths

    ledger.deliver_due(con, now=datetime.now(UTC), clock=lambda: datetime.now(UTC), settings=settings,
                       outbox=data_paths().outbox, environ=os.environ)  # fmt: skip


def _print_table(rows: list[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        print("(no alerts)")
        return
    cells = [[str(r.get(c) if r.get(c) is not None else "-")[:40] for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)))


def as_json_alert(alert: dict[str, Any]) -> dict[str, Any]:
    """The documented JSON shape: id, type, severity, integration_id, state, fired_at, resolved_at first."""
    head = {"id": alert["alert_id"], "type": alert["alert_type"], "severity": alert["severity"],
            "integration_id": alert["integration_id"], "state": alert["status"],
            "fired_at": alert["fired_at"], "resolved_at": alert["resolved_at"]}  # fmt: skip
    return {**head, **alert}


def _list(args: argparse.Namespace) -> int:
    from syncmon_pipeline.alerts import store

    statuses = [s for s in (args.status or "").split(",") if s]
    with _connection() as con:
        rows = store.list_alerts(con, statuses=statuses, integration_id=args.integration, limit=args.limit)
    if args.format == "json":
        print(json.dumps([as_json_alert(r) for r in rows], indent=2, default=str))
    else:
        _print_table(rows, LIST_COLUMNS)
    return 0


def _show(args: argparse.Namespace) -> int:
    from syncmon_pipeline.alerts import ledger, store

    with _connection() as con:
        alert = store.find_alert(con, args.alert_id)
        if alert is None:
            print(f"no alert with id {args.alert_id!r}", file=sys.stderr)
            return 2
        alert["notifications"] = ledger.ledger_rows(con, alert_id=alert["alert_id"])
    if args.format == "json":
        print(json.dumps(as_json_alert(alert), indent=2, default=str))
        return 0
    notifications = alert.pop("notifications")
    for key, value in alert.items():
        if key != "evidence":
            print(f"{key:>17}: {value if value is not None else '-'}")
    print("         evidence:")
    print("  " + json.dumps(alert["evidence"], indent=2, default=str).replace("\n", "\n  "))
    print(f"    notifications: {len(notifications)}")
    for row in notifications:
        print("  - " + ", ".join(f"{k}={v}" for k, v in row.items() if k not in ("message",) and v is not None))
    return 0


def _action(args: argparse.Namespace) -> int:
    from syncmon_pipeline.alerts import service
    from syncmon_pipeline.alerts.changefeed import feed_file
    from syncmon_pipeline.defs.resources import data_paths

    settings = load_settings().alerting
    now = datetime.now(UTC)
    feed = feed_file(data_paths().changefeed)  # the API's live stream hears of CLI actions too
    with _connection() as con:
        if args.command_name == "ack":
            alert = service.acknowledge_alert(con, args.alert_id, by=args.by, now=now, settings=settings,
                                              changefeed=feed)  # fmt: skip
            print(f"acknowledged {alert.alert_id} ({alert.alert_type}, {alert.integration_id}): escalation stopped")
        elif args.command_name == "resolve":
            alert = service.resolve_alert(con, args.alert_id, by=args.by, now=now, settings=settings,
                                          changefeed=feed)  # fmt: skip
            print(f"resolved {alert.alert_id} ({alert.alert_type}, {alert.integration_id})")
        elif args.command_name == "silence":
            starts = args.starts_at or now
            silence = service.add_silence(
                con, matchers=dict(args.match), starts_at=starts, ends_at=starts + args.duration,
                author=args.author, comment=args.comment, now=now, settings=settings, changefeed=feed,
            )  # fmt: skip
            print(f"silence {silence.silence_id} {dict(silence.matchers)} until {silence.ends_at.isoformat()}")
        else:
            service.expire_silence(con, args.silence_id, now=now, settings=settings, changefeed=feed)
            print(f"silence {args.silence_id} expired")
        _deliver(con, settings)
    return 0


def _silences(args: argparse.Namespace) -> int:
    from syncmon_pipeline.alerts import service

    with _connection() as con:
        rows = service.list_silences(con, now=datetime.now(UTC), include_expired=args.all)
    if args.format == "json":
        print(json.dumps(rows, indent=2, default=str))
    else:
        _print_table(rows, ("silence_id", "matchers", "starts_at", "ends_at", "author", "comment", "expired_at"))
    return 0


def _backtest(args: argparse.Namespace) -> int:
    from syncmon_pipeline.alerts.backtest import backtest

    until = args.until or datetime.now(UTC)
    with _connection() as con:
        report = backtest(con, since=until - args.since, until=until, step=args.step,
                          settings=load_settings().alerting, rule=args.rule)  # fmt: skip
    print(report.to_json() if args.format == "json" else report.render())
    return 0


def _run(args: argparse.Namespace) -> int:
    try:
        return args.alerts_func(args)
    except (LookupError, ValueError, ConfigError) as exc:
        print(f"syncmon alerts {args.command_name}: {exc}", file=sys.stderr)
        return 2


def register_cli(commands: argparse._SubParsersAction) -> None:
    alerts = commands.add_parser("alerts", help="List, show, acknowledge, resolve, silence and backtest alerts.")
    alerts.set_defaults(func=_run)
    sub = alerts.add_subparsers(dest="command_name", required=True)

    def add(name: str, func, help_text: str) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=help_text)
        parser.set_defaults(alerts_func=func)
        return parser

    listing = add("list", _list, "alerts, newest first")
    listing.add_argument("--status", help="comma-separated: pending,firing,acknowledged,resolved")
    listing.add_argument("--integration", help="only this integration_id")
    listing.add_argument("--limit", type=int, default=200)
    listing.add_argument("--format", choices=("table", "json"), default="table")
    show = add("show", _show, "one alert with its evidence and notifications")
    show.add_argument("alert_id", help="the id, or a unique prefix of it")
    show.add_argument("--format", choices=("text", "json"), default="text")
    for name, help_text in (("ack", "acknowledge: stops escalation and repeats"), ("resolve", "resolve by hand")):
        action = add(name, _action, help_text)
        action.add_argument("alert_id")
        action.add_argument("--by", default=os.environ.get("USER", "operator"), help="who (recorded)")
    silence = add("silence", _action, "mute alerts matching label matchers for a while")
    silence.add_argument("--match", type=_matcher, action="append", required=True,
                         help="label=value (repeatable; a value starting with ~ is a regex)")
    silence.add_argument("--duration", type=parse_duration, default=timedelta(hours=1), help="e.g. 2h (default 1h)")
    silence.add_argument("--starts-at", type=_moment, default=None, help="ISO 8601 (default now)")
    silence.add_argument("--author", default=os.environ.get("USER", "operator"))
    silence.add_argument("--comment", default="")
    unsilence = add("unsilence", _action, "end a silence early")
    unsilence.add_argument("silence_id")
    silences = add("silences", _silences, "silences in force")
    silences.add_argument("--all", action="store_true", help="include expired ones")
    silences.add_argument("--format", choices=("table", "json"), default="table")
    back = add("backtest", _backtest, "replay the rules over history without sending anything")
    back.add_argument("--since", type=parse_duration, default=timedelta(days=30), help="how far back (default 30d)")
    back.add_argument("--until", type=_moment, default=None, help="end of the replay (default now)")
    back.add_argument("--step", type=parse_duration, default=timedelta(minutes=5), help="evaluation step (default 5m)")
    back.add_argument("--rule", default=None, help="only this rule")
    back.add_argument("--format", choices=("table", "json"), default="table")
