"""Response models of the alert reads (alerts, notifications, delivery attempts, silences)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SnapshotName = Literal["analytics", "alerts"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertItem(_Model):
    alert_id: str
    fingerprint: str
    rule: str
    alert_type: str
    severity: str
    integration_id: str
    provider: str | None
    labels: dict[str, Any]
    status: str = Field(description="pending, firing, acknowledged or resolved")
    started_at: datetime | None
    pending_since: datetime | None
    fired_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    last_observed_at: datetime | None
    value: float | None
    threshold: float | None
    summary: str
    escalated_at: datetime | None
    escalation_count: int | None
    silenced_by: str | None
    inhibited_by: str | None
    updated_at: datetime | None
    url: str


class DeliveryAttempt(_Model):
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    outcome: str | None = Field(description="delivered, retry, failed or unknown; null while in flight")
    http_status: int | None
    error: str | None
    next_retry_at: datetime | None


class NotificationItem(_Model):
    notification_id: str
    channel: str
    target: str = Field(description="An e-mail address, or the webhook's name in the configuration (never its URL).")
    transition: str
    sequence: int | None
    title: str | None
    status: str
    attempts: int | None
    created_at: datetime | None
    queued_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    alert_ids: list[str]
    delivery_attempts: list[DeliveryAttempt]


class AlertDetail(AlertItem):
    evidence: Any
    notifications: list[NotificationItem]
    published_at: datetime | None
    snapshot: SnapshotName


class SilenceItem(_Model):
    silence_id: str
    matchers: Any
    starts_at: datetime | None
    ends_at: datetime | None
    author: str | None
    comment: str | None
    created_at: datetime | None
    expired_at: datetime | None
    state: Literal["active", "scheduled", "expired"]
