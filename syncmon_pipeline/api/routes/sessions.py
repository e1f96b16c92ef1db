"""The session conveniences: small JSON bodies in, contract-v1 events out (the same door as /v1/events).

A session is identified by (integration_id, session_id), so every body names its integration and
provider. Each endpoint builds the events, checks them with the quarantine's rules, writes them to
landing and answers 202 with the event ids; `Idempotency-Key` makes a retry safe.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic import UUID4 as EventId

from syncmon_pipeline import contract
from syncmon_pipeline.recorder import build_event

from ..auth import Principal
from ..context import ApiContext
from ..deps import get_context, require
from ..problems import PROBLEM_JSON, Problem
from ..writes import answer_once, classify, land

router = APIRouter(prefix="/v1", tags=["sessions"])

Label = Annotated[str, Field(min_length=1, max_length=200)]
Text = Annotated[str, Field(max_length=10_000)]
Count = Annotated[int, Field(ge=0, le=2**53)]
Measure = Annotated[float, Field(ge=0, le=1e15)]
SessionIdPath = Annotated[str, Path(min_length=1, max_length=200, description="The synchronizer's session id.")]
SyncType = Literal[contract.SYNC_TYPES]  # type: ignore[valid-type]
Direction = Literal[contract.DIRECTIONS]  # type: ignore[valid-type]
Trigger = Literal[contract.TRIGGERS]  # type: ignore[valid-type]
Status = Literal[contract.STATUSES]  # type: ignore[valid-type]
Category = Literal[contract.ERROR_CATEGORIES]  # type: ignore[valid-type]
Severity = Literal[contract.ERROR_SEVERITIES]  # type: ignore[valid-type]
Strategy = Literal[contract.CONFLICT_STRATEGIES]  # type: ignore[valid-type]
AuthStatus = Literal[contract.AUTH_STATUSES]  # type: ignore[valid-type]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    integration_id: Label
    provider: Label
    occurred_at: AwareDatetime | None = Field(None, description="Event time; default: now.")
    event_id: EventId | None = Field(None, description="Your own event id (UUID), so a resend is recognised.")


class SessionCreate(_Body):
    session_id: Label | None = Field(None, description="Default: a new UUID, returned in the answer.")
    sync_type: SyncType
    direction: Direction
    triggered_by: Trigger
    entity_types: list[Label] | None = None
    retry_of: Label | None = None
    status: Status | None = Field(None, description="Also report this status at once (e.g. running).")
    stage: Text | None = None


class SessionUpdate(_Body):
    status: Status | None = None
    stage: Text | None = None
    reason: Text | None = None
    progress_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    entity_type: Label | None = None
    records_processed: Count | None = None
    records_created: Count | None = None
    records_updated: Count | None = None
    records_deleted: Count | None = None
    records_skipped: Count | None = None
    records_failed: Count | None = None


class SessionError(_Body):
    category: Category
    severity: Severity
    message: Text
    code: Label | None = None
    entity_type: Label | None = None
    entity_id: Label | None = None
    retryable: bool | None = None
    retry_count: Count | None = None


class SessionWarning(_Body):
    message: Text
    code: Label | None = None
    entity_type: Label | None = None
    entity_id: Label | None = None


class SessionConflict(_Body):
    entity_type: Label
    strategy: Strategy
    resolved: bool
    entity_id: Label | None = None
    field: Label | None = None


class SessionMetrics(_Body):
    api_calls: Count | None = None
    api_errors: Count | None = None
    api_latency_ms_avg: Measure | None = None
    api_latency_ms_p95: Measure | None = None
    throughput_rps: Measure | None = None
    cache_hits: Count | None = None
    cache_misses: Count | None = None
    cpu_pct: Measure | None = None
    memory_mb: Measure | None = None
    rate_limit_remaining: Count | None = None


class HealthCheck(_Body):
    reachable: bool
    latency_ms: Measure | None = None
    auth_status: AuthStatus | None = None
    rate_limit_remaining: Count | None = None
    message: Text | None = None


class EventsAnswer(BaseModel):
    integration_id: str
    session_id: str | None
    event_ids: list[str]
    landing_file: str


_ERRORS = {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
    401: "No valid token", 403: "Token lacks the ingest scope", 413: "Body too large",
    422: "Invalid body (the contract's reason), or Idempotency-Key reused", 429: "Rate limited",
    503: "Landing folder not writable",
}.items()}  # fmt: skip
_PROGRESS_FIELDS = ("stage", "progress_pct", "entity_type", *contract.PROGRESS_COUNTS)


def _payload(body: BaseModel, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(body, name) for name in fields if getattr(body, name) is not None}


def _event(ctx: ApiContext, body: _Body, event_type: str, payload: dict, session_id: str | None,
           first: bool = True) -> dict[str, Any]:  # fmt: skip
    return build_event(
        event_type, payload, integration_id=body.integration_id, provider=body.provider,
        occurred_at=body.occurred_at or ctx.clock(), session_id=session_id,
        event_id=str(body.event_id) if body.event_id and first else None,
    )  # fmt: skip


async def _send(request: Request, ctx: ApiContext, principal: Principal, build) -> Any:
    async def produce():
        events = build()
        verdicts = await classify(ctx, [orjson.dumps(e) for e in events])
        refused = [v for v in verdicts if v.status != "accepted"]
        if refused:
            raise Problem(422, f"the event breaks the contract: {refused[0].reason}")
        landing_file = await land(ctx, verdicts)
        first = events[0]
        return 202, {"integration_id": first["integration_id"], "session_id": first.get("session_id"),
                     "event_ids": [e["event_id"] for e in events], "landing_file": landing_file}  # fmt: skip

    return await answer_once(request, ctx, principal, produce)


_INGEST = Depends(require("ingest"))
_CTX = Depends(get_context)


@router.post("/sessions", status_code=202, response_model=EventsAnswer, responses=_ERRORS,
             summary="Create a session (session_created, and a first status if given)")  # fmt: skip
async def create_session(body: SessionCreate, request: Request, principal: Principal = _INGEST,
                         ctx: ApiContext = _CTX):  # fmt: skip
    session_id = body.session_id or str(uuid.uuid4())

    def build():
        created = _event(ctx, body, "session_created",
                         _payload(body, ("sync_type", "direction", "triggered_by", "entity_types", "retry_of")),
                         session_id)  # fmt: skip
        if body.status is None:
            return [created]
        return [created, _event(ctx, body, "session_status", _payload(body, ("status", "stage")), session_id, False)]

    return await _send(request, ctx, principal, build)


@router.put("/sessions/{session_id}", status_code=202, response_model=EventsAnswer, responses=_ERRORS,
            summary="Report a session's status, stage and/or progress")  # fmt: skip
async def update_session(session_id: SessionIdPath, body: SessionUpdate, request: Request,
                         principal: Principal = _INGEST, ctx: ApiContext = _CTX):  # fmt: skip
    def build():
        events = []
        if body.status is not None:
            events.append(_event(ctx, body, "session_status", _payload(body, ("status", "stage", "reason")),
                                 session_id))  # fmt: skip
        progress = _payload(body, _PROGRESS_FIELDS)
        if set(progress) - {"stage"} or (body.status is None and progress):
            events.append(_event(ctx, body, "session_progress", progress, session_id, not events))
        if not events:
            raise Problem(422, "nothing to report: give a status, or progress (progress_pct, records_*)")
        return events

    return await _send(request, ctx, principal, build)


def _one(event_type: str, model: type[_Body], summary: str):
    fields = tuple(name for name in model.model_fields if name not in _Body.model_fields and name != "session_id")

    async def endpoint(session_id: SessionIdPath, request: Request, body: model,  # type: ignore[valid-type]
                       principal: Principal = _INGEST, ctx: ApiContext = _CTX):  # fmt: skip
        return await _send(request, ctx, principal,
                           lambda: [_event(ctx, body, event_type, _payload(body, fields), session_id)])  # fmt: skip

    endpoint.__annotations__["body"] = model  # a real class, not the postponed name, so FastAPI reads a body
    endpoint.__name__ = f"post_{event_type}"
    return endpoint, summary


for _path, _type, _model, _summary in (
    ("errors", "session_error", SessionError, "Report an error in a session"),
    ("warnings", "session_warning", SessionWarning, "Report a warning in a session"),
    ("conflicts", "session_conflict", SessionConflict, "Report a data conflict in a session"),
    ("metrics", "session_metrics", SessionMetrics, "Report a session's API and resource metrics"),
):
    _endpoint, _ = _one(_type, _model, _summary)
    router.add_api_route(f"/sessions/{{session_id}}/{_path}", _endpoint, methods=["POST"], status_code=202,
                         response_model=EventsAnswer, responses=_ERRORS, summary=_summary)  # fmt: skip


@router.post("/health-checks", status_code=202, response_model=EventsAnswer, responses=_ERRORS,
             summary="Report a health check of an integration (no session)")  # fmt: skip
async def post_health_check(body: HealthCheck, request: Request, principal: Principal = _INGEST,
                            ctx: ApiContext = _CTX):  # fmt: skip
    fields = ("reachable", "latency_ms", "auth_status", "rate_limit_remaining", "message")
    return await _send(request, ctx, principal, lambda: [_event(ctx, body, "health_check", _payload(body, fields), None)])
