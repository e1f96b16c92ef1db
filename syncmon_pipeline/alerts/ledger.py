"""The notification ledger in the warehouse: queue notifications, deliver what is due, record every attempt.

At most once per notification id, chosen over at-least-once: a duplicate page at 3 a.m. costs an
operator more than a notification flagged `unknown` in the ledger. So before a send the ledger
commits a claim (status `sending` plus an attempt row without an outcome); after the send it records
the outcome. A run killed in between leaves the claim behind, and the next run marks it `unknown`
and does not send it again. Receivers also get the notification id (webhook `Idempotency-Key`,
e-mail `Message-ID`), so one that deduplicates can drop the only duplicate this design still allows:
a retry after a timeout whose request had in fact arrived.

A channel that is down loses nothing: failed attempts leave the notification `queued` with
`next_attempt_at` (exponential backoff, or the receiver's Retry-After) until `max_attempts`.
One delivery run at a time (the warehouse has one writer), so a `sending` row seen at the start of
a run is always a leftover of a dead run. `deliver_due` commits its own transactions: call it
outside any open transaction. `enqueue` joins the caller's transaction.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import duckdb

from syncmon_pipeline.redaction import redact
from syncmon_pipeline.sql_files import query_sql_file, run_sql_file
from syncmon_pipeline.timestamps import to_utc_naive

from .channels.message_json import message_from_json, message_to_json
from .model import Notification
from .settings import AlertingSettings, DeliverySettings
from .transports import SendResult, backoff_seconds, send_notification, transport_key

_SQL = "syncmon_pipeline.alerts.sql"
_log = logging.getLogger(__name__)
_UNKNOWN_ERROR = "the delivery run ended between sending and recording; not sent again (at most once)"
_OUTCOMES = ("delivered", "retrying", "failed", "unknown", "skipped", "postponed")


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


@dataclass
class DeliveryReport:
    """What one `deliver_due` call did; every figure also per channel in `by_channel`.

    `unknown`: claims of a killed run, marked and not re-sent. `skipped`: due but left queued because
    the run's time budget was spent. `postponed`: due but moved to the retry time of another
    notification whose channel just failed in this run.
    """

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0
    postponed: int = 0
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, channel: str, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)
        figures = self.by_channel.setdefault(channel, dict.fromkeys(_OUTCOMES, 0))
        figures[outcome] += n

    def metadata(self) -> dict[str, int]:
        flat = {outcome: getattr(self, outcome) for outcome in _OUTCOMES}
        for channel, figures in sorted(self.by_channel.items()):
            flat.update({f"{channel}_{k}": v for k, v in figures.items() if v})
        return flat

    def render(self) -> str:
        return "notifications: " + ", ".join(f"{getattr(self, o)} {o}" for o in _OUTCOMES)


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    run_sql_file(con, _SQL, "ledger_tables.sql")


def enqueue(con: duckdb.DuckDBPyConnection, notifications: Iterable[Notification], now: datetime) -> int:
    """Queue notifications (due at `now`); ids already in the ledger are ignored. Returns how many are new."""
    ensure_ledger(con)
    added = 0
    for n in notifications:
        params = {
            "notification_id": n.notification_id, "channel": n.channel, "target": n.target,
            "transition": n.transition, "sequence": n.sequence, "integration_id": n.integration_id,
            "alert_ids": list(n.alert_ids), "fingerprints": list(n.fingerprints),
            "message": message_to_json(n.message), "created_at": to_utc_naive(n.created_at), "now": to_utc_naive(now),
        }  # fmt: skip
        added += query_sql_file(con, _SQL, "enqueue_notification.sql", params)[0][0]
    return added


class _Due(NamedTuple):
    """A due ledger row; the Message is parsed only when its turn comes, so one bad row fails alone."""

    notification_id: str
    channel: str
    target: str
    row: tuple[Any, ...]


def _notification(row: tuple[Any, ...]) -> Notification:
    nid, channel, target, transition, sequence, integration_id, alert_ids, fingerprints, message, created = row
    return Notification(
        notification_id=nid, channel=channel, target=target, transition=transition, sequence=sequence,
        fingerprints=tuple(fingerprints), alert_ids=tuple(alert_ids), integration_id=integration_id,
        message=message_from_json(message), created_at=_aware(created),
    )  # fmt: skip


def _in_transaction(con: duckdb.DuckDBPyConnection, work: Callable[[], Any]) -> Any:
    con.begin()
    try:
        result = work()
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return result


def _recover_interrupted(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    def work() -> list[tuple[str, str]]:
        rows = query_sql_file(con, _SQL, "recover_notifications.sql", {"error": _UNKNOWN_ERROR})
        run_sql_file(con, _SQL, "recover_attempts.sql", {"error": _UNKNOWN_ERROR})
        return [(nid, channel) for nid, channel in rows]

    return _in_transaction(con, work)


def _claim(con: duckdb.DuckDBPyConnection, n: _Due, started_at: datetime) -> int | None:
    """Commit 'sending' + an open attempt row before the send; returns the attempt number."""

    def work() -> int | None:
        rows = query_sql_file(con, _SQL, "claim_notification.sql", {"notification_id": n.notification_id})
        if not rows:
            return None
        attempt = int(rows[0][0])
        run_sql_file(con, _SQL, "start_attempt.sql", {
            "notification_id": n.notification_id, "attempt": attempt, "channel": n.channel, "target": n.target,
            "started_at": to_utc_naive(started_at),
        })  # fmt: skip
        return attempt

    return _in_transaction(con, work)


def _finish(
    con: duckdb.DuckDBPyConnection, n: _Due, attempt: int, result: SendResult, finished_at: datetime,
    delivery: DeliverySettings,
) -> tuple[str, datetime | None]:
    """Record the outcome; a retry past max_attempts becomes 'failed'. Returns (outcome, next retry)."""
    outcome, error, next_retry = result.outcome, result.error, None
    if outcome == "retry":
        if attempt >= delivery.max_attempts:
            outcome, error = "failed", f"{error} (gave up after {attempt} attempts)"
        else:
            delay = result.retry_after_seconds
            next_retry = finished_at + timedelta(seconds=backoff_seconds(attempt, delivery) if delay is None else delay)
    status = {"delivered": "delivered", "retry": "queued", "failed": "failed"}[outcome]
    params = {
        "notification_id": n.notification_id, "attempt": attempt, "finished_at": to_utc_naive(finished_at),
        "outcome": outcome, "http_status": result.http_status, "error": redact(error),  # last line of defence
        "next_retry_at": to_utc_naive(next_retry), "status": status,
        "delivered_at": to_utc_naive(finished_at) if outcome == "delivered" else None,
    }  # fmt: skip
    _in_transaction(con, lambda: run_sql_file(con, _SQL, "finish_attempt.sql", params))
    return outcome, next_retry


def deliver_due(
    con: duckdb.DuckDBPyConnection,
    *,
    now: datetime,
    clock: Callable[[], datetime],
    settings: AlertingSettings,
    outbox: Path,
    environ: Mapping[str, str],
) -> DeliveryReport:
    """Send every queued notification due at `now`, each at most once; never raises for a channel failure.

    `clock` only measures how long this run has taken (the `max_seconds_per_run` budget); attempt
    times are `now` plus that elapsed time, so a test with a frozen clock sees exact timestamps.
    """
    ensure_ledger(con)
    report = DeliveryReport()
    started = clock()

    def at() -> datetime:
        return now + (clock() - started)

    for notification_id, channel in _recover_interrupted(con):
        _log.warning("notification %s (%s) was interrupted mid-send in an earlier run: marked unknown",
                     notification_id, channel)  # fmt: skip
        report.count(channel, "unknown")
    rows = query_sql_file(con, _SQL, "due_notifications.sql", {"now": to_utc_naive(now)})
    due = [_Due(row[0], row[1], row[2], row) for row in rows]
    down: dict[str, datetime | None] = {}  # transport key -> when its failed notification retries
    for index, item in enumerate(due):
        if (clock() - started).total_seconds() >= settings.delivery.max_seconds_per_run:
            for rest in due[index:]:
                report.count(rest.channel, "skipped")
            break
        key = transport_key(item.channel, item.target, environ)
        if key in down:
            if down[key] is not None:
                run_sql_file(con, _SQL, "postpone_notification.sql",
                             {"notification_id": item.notification_id, "next_attempt_at": to_utc_naive(down[key])})  # fmt: skip
            report.count(item.channel, "postponed")
            continue
        attempt = _claim(con, item, at())
        if attempt is None:
            continue
        try:
            result = send_notification(_notification(item.row), settings=settings, outbox=outbox, environ=environ,
                                       at=at())  # fmt: skip
        except Exception as exc:  # a bug or an unreadable row must not stop the other notifications
            result = SendResult("failed", f"internal error while sending ({type(exc).__name__})")
        outcome, next_retry = _finish(con, item, attempt, result, at(), settings.delivery)
        report.count(item.channel, "retrying" if outcome == "retry" else outcome)
        if result.outcome == "retry":
            down[key] = next_retry
        if outcome != "delivered":
            _log.warning("notification %s (%s) attempt %d: %s — %s", item.notification_id, item.channel, attempt,
                         outcome, redact(result.error))  # fmt: skip
    _log.info(report.render())
    return report


def next_attempt_at(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the earliest queued notification is due (None: nothing queued) — the sensor's next wake-up."""
    ensure_ledger(con)
    return _aware(query_sql_file(con, _SQL, "next_attempt_at.sql")[0][0])


def _json_ready(record: dict[str, Any]) -> dict[str, Any]:
    return {k: (_aware(v).isoformat() if isinstance(v, datetime) else v) for k, v in record.items()}


def ledger_rows(con: duckdb.DuckDBPyConnection, alert_id: str | None = None) -> list[dict[str, Any]]:
    """Notifications (optionally of one alert) with their attempts, as JSON-ready dicts, oldest first."""
    ensure_ledger(con)
    columns = ("notification_id", "channel", "target", "transition", "sequence", "integration_id", "alert_ids",
               "fingerprints", "message", "created_at", "queued_at", "status", "attempts", "next_attempt_at",
               "delivered_at", "last_error")  # fmt: skip
    attempt_columns = ("notification_id", "attempt", "channel", "target", "started_at", "finished_at", "outcome",
                       "http_status", "error", "next_retry_at")  # fmt: skip
    found = query_sql_file(con, _SQL, "ledger_notifications.sql", {"alert_id": alert_id})
    rows = [dict(zip(columns, r)) for r in found]
    ids = [r["notification_id"] for r in rows]
    attempts: dict[str, list[dict[str, Any]]] = {}
    for r in query_sql_file(con, _SQL, "ledger_attempts.sql", {"notification_ids": ids}):
        attempts.setdefault(r[0], []).append(_json_ready(dict(zip(attempt_columns, r))))
    for row in rows:
        row["message"] = json.loads(row["message"]) if isinstance(row["message"], str) else row["message"]
        row["alert_ids"], row["fingerprints"] = list(row["alert_ids"]), list(row["fingerprints"])
        row["attempt_log"] = attempts.get(row["notification_id"], [])
    return [_json_ready(row) for row in rows]
