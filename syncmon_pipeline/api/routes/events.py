"""`POST /v1/events`: a batch of contract-v1 events, checked at the door, in landing before the 202."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field

from ..auth import Principal
from ..context import ApiContext
from ..deps import get_context, require
from ..intake import BodyError, split_body
from ..problems import PROBLEM_JSON, Problem
from ..writes import answer_once, classify, land

router = APIRouter(prefix="/v1", tags=["events"])


class EventVerdict(BaseModel):
    index: int = Field(description="Position of the event in the batch, from 0.")
    status: Literal["accepted", "rejected", "duplicate"]
    event_id: str | None = None
    reason: str | None = Field(None, description="Why it was rejected: the same words the quarantine uses.")


class BatchAnswer(BaseModel):
    accepted: int
    rejected: int
    duplicate: int
    landing_file: str | None = Field(None, description="The landing file that holds the accepted events.")
    results: list[EventVerdict]


_BATCH_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": {"oneOf": [
            {"type": "array", "items": {"type": "object"}, "minItems": 1},
            {"type": "object"},
        ]}},
        "application/x-ndjson": {"schema": {"type": "string", "description": "One event per line."}},
    },
    "description": "Contract-v1 events (GET /v1/contract): a JSON array, one object, or NDJSON.",
}  # fmt: skip
_ERRORS = {code: {"content": {PROBLEM_JSON: {}}, "description": text} for code, text in {
    400: "Not a batch", 401: "No valid token", 403: "Token lacks the ingest scope", 413: "Body too large",
    422: "Every event rejected (the results say why), or Idempotency-Key reused", 429: "Rate limited",
    503: "Landing folder not writable",
}.items()}  # fmt: skip


@router.post(
    "/events", status_code=202, response_model=BatchAnswer, openapi_extra={"requestBody": _BATCH_BODY},
    responses=_ERRORS, summary="Send a batch of events",
    description="Each event is checked against the contract with the quarantine's reasons. Accepted events"
    " are in the landing folder (atomic file) before the 202; a batch in which every event is rejected is a"
    " 422. Send `Idempotency-Key` to make a retry safe.",
)  # fmt: skip
async def post_events(
    request: Request,
    principal: Principal = Depends(require("ingest")),
    ctx: ApiContext = Depends(get_context),
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=255),
):
    async def produce():
        body = await request.body()
        try:
            batch = split_body(body, request.headers.get("content-type", "application/json"))
        except BodyError as error:
            raise Problem(400, str(error)) from error
        limit, count = ctx.settings.api.max_events_per_request, len(batch.lines)
        if count > limit:
            raise Problem(413, f"a batch holds at most {limit} events (api.max_events_per_request); got {count}")
        verdicts = await classify(ctx, batch.lines, batch.parsed)
        landing_file = await land(ctx, verdicts)
        counts = {s: sum(1 for v in verdicts if v.status == s) for s in ("accepted", "rejected", "duplicate")}
        answer = {**counts, "landing_file": landing_file, "results": [v.to_json() for v in verdicts]}
        if counts["accepted"] == 0 and counts["rejected"] > 0:
            return 422, {"type": "about:blank", "title": "Unprocessable Entity", "status": 422,
                         "detail": f"all {counts['rejected']} events were rejected; results say why", **answer}
        return 202, answer

    return await answer_once(request, ctx, principal, produce)
