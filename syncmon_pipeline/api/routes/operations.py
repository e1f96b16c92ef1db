"""Operator actions as commands: acknowledge, resolve, silence, unsilence, request a report.

The API never writes the warehouse: each action becomes a file in the command inbox
(`$SYNCMON_HOME/commands/pending/`), the alert job (or a report run) applies it and records the
outcome, and `GET /v1/commands/{id}` says queued, applied or rejected. The actor is the token's name,
never a field of the body.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from syncmon_pipeline.commands import inbox
from syncmon_pipeline.commands.args import validate_args
from syncmon_pipeline.reports.build import CUSTOM
from syncmon_pipeline.reports.period import period_for_key
from syncmon_pipeline.reports.settings import PERIODS, REPORT_TYPES

from ..auth import Principal
from ..context import ApiContext
from ..deps import get_context, require
from ..problems import PROBLEM_JSON, Problem
from ..writes import answer_once

router = APIRouter(prefix="/v1", tags=["operations"])

AlertId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The alert id or a unique prefix.")]
SilenceId = Annotated[str, Path(pattern=r"^[0-9a-f]{12}$")]
CommandId = Annotated[str, Path(pattern=r"^cmd_[0-9a-f]{32}$")]
Label = Annotated[str, Field(min_length=1, max_length=200)]


class SilenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    matchers: dict[Label, Annotated[str, Field(max_length=500)]] = Field(
        min_length=1, max_length=20,
        description='Label matchers, e.g. {"integration_id": "workday-tenant-26"}; a value starting "~" is a regex.',
    )  # fmt: skip
    starts_at: AwareDatetime | None = Field(None, description="Default: now.")
    ends_at: AwareDatetime | None = Field(None, description="Default: starts_at + duration_minutes.")
    duration_minutes: float = Field(60.0, gt=0, le=366 * 24 * 60)
    comment: str = Field("", max_length=2000)


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    report_type: Literal[(*REPORT_TYPES, CUSTOM)]  # type: ignore[valid-type]
    granularity: Literal[PERIODS] | None = Field(None, description="Period reports: daily, weekly or monthly.")  # type: ignore[valid-type]
    period_key: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$", description="The period's first day.")
    start: AwareDatetime | None = Field(None, description="Custom reports: start (default 7 days before end).")
    end: AwareDatetime | None = Field(None, description="Custom reports: end (default now).")
    integrations: list[Label] = Field(default_factory=list, max_length=1000)
    entity_types: list[Label] = Field(default_factory=list, max_length=1000)
    sections: list[Label] = Field(default_factory=list, max_length=100)
    name: str = Field("custom", pattern=r"^[A-Za-z0-9_-]{1,40}$")
    title: str = Field("", max_length=2000)

    @model_validator(mode="after")
    def _period_or_range(self) -> ReportCreate:
        if self.report_type != CUSTOM and (self.granularity is None or self.period_key is None):
            raise ValueError("a period report needs granularity and period_key")
        return self


class CommandQueued(BaseModel):
    command_id: str
    kind: str
    status: Literal["queued"]
    status_url: str
    silence_id: str | None = None


class CommandState(BaseModel):
    command_id: str
    kind: str
    actor: str
    created_at: str
    status: Literal["queued", "applied", "rejected"]
    reason: str | None = None
    applied_at: str | None = None
    result: dict[str, Any] | None = None


_ERRORS = {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
    401: "No valid token", 403: "Token lacks the operate scope", 413: "Body too large",
    422: "Invalid request, or Idempotency-Key reused", 429: "Rate limited",
}.items()}  # fmt: skip
_OPERATE = Depends(require("operate"))
_CTX = Depends(get_context)


async def _submit(request: Request, ctx: ApiContext, principal: Principal, kind: str, args: dict[str, Any]):
    async def produce():
        try:
            checked = validate_args(kind, args)
        except ValueError as error:
            raise Problem(422, str(error)) from error
        command = inbox.submit(ctx.paths.commands, kind=kind, args=checked, actor=principal.name, now=ctx.clock())
        body = {"command_id": command.command_id, "kind": kind, "status": "queued",
                "status_url": f"/v1/commands/{command.command_id}"}  # fmt: skip
        if kind == "add_silence":
            body["silence_id"] = checked["silence_id"]
        return 202, body

    return await answer_once(request, ctx, principal, produce)


@router.put("/alerts/{alert_id}/acknowledge", status_code=202, response_model=CommandQueued, responses=_ERRORS,
            summary="Acknowledge an alert: it stays open but stops escalating and repeating")  # fmt: skip
async def acknowledge(alert_id: AlertId, request: Request, principal: Principal = _OPERATE, ctx: ApiContext = _CTX):
    return await _submit(request, ctx, principal, "acknowledge_alert", {"alert_id": alert_id})


@router.put("/alerts/{alert_id}/resolve", status_code=202, response_model=CommandQueued, responses=_ERRORS,
            summary="Resolve an alert by hand (sends the resolved notice)")  # fmt: skip
async def resolve(alert_id: AlertId, request: Request, principal: Principal = _OPERATE, ctx: ApiContext = _CTX):
    return await _submit(request, ctx, principal, "resolve_alert", {"alert_id": alert_id})


@router.post("/silences", status_code=202, response_model=CommandQueued, responses=_ERRORS,
             summary="Silence alerts matching label matchers for a while")  # fmt: skip
async def add_silence(body: SilenceCreate, request: Request, principal: Principal = _OPERATE, ctx: ApiContext = _CTX):
    starts_at = body.starts_at or ctx.clock()
    ends_at = body.ends_at or starts_at + timedelta(minutes=body.duration_minutes)
    args = {"silence_id": secrets.token_hex(6), "matchers": dict(body.matchers), "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(), "comment": body.comment}  # fmt: skip
    return await _submit(request, ctx, principal, "add_silence", args)


@router.delete("/silences/{silence_id}", status_code=202, response_model=CommandQueued, responses=_ERRORS,
               summary="End a silence early")  # fmt: skip
async def expire_silence(silence_id: SilenceId, request: Request, principal: Principal = _OPERATE,
                         ctx: ApiContext = _CTX):  # fmt: skip
    return await _submit(request, ctx, principal, "expire_silence", {"silence_id": silence_id})


@router.post("/reports", status_code=202, response_model=CommandQueued, responses=_ERRORS,
             summary="Generate a report of a type and period, or a custom one")  # fmt: skip
async def request_report(body: ReportCreate, request: Request, principal: Principal = _OPERATE,
                         ctx: ApiContext = _CTX):  # fmt: skip
    if body.report_type == CUSTOM:
        args = {"report_type": CUSTOM, "start": body.start.isoformat() if body.start else "",
                "end": body.end.isoformat() if body.end else "", "integrations": body.integrations,
                "entity_types": body.entity_types, "sections": body.sections, "name": body.name,
                "title": body.title}  # fmt: skip
        if body.start and body.end and body.end <= body.start:
            raise Problem(422, "end: a report must end after it starts")
    else:
        try:
            period_for_key(str(body.granularity), str(body.period_key), ctx.settings.reports.timezone)
        except ValueError as error:
            raise Problem(422, f"period_key: {error}") from error
        args = {"report_type": body.report_type, "granularity": body.granularity, "period_key": body.period_key}
    return await _submit(request, ctx, principal, "generate_report", args)


@router.get("/commands/{command_id}", response_model=CommandState,
            responses={k: v for k, v in _ERRORS.items() if k in (401, 403, 429)} | {404: {"description": "Unknown"}},
            summary="Whether a command is queued, applied or rejected (with the reason)")  # fmt: skip
async def command_status(command_id: CommandId, _: Principal = Depends(require("read")), ctx: ApiContext = _CTX):
    found = inbox.command_status(ctx.paths.commands, command_id)
    if found is None:
        raise Problem(404, f"no command {command_id}")
    return found
