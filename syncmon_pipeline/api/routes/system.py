"""Liveness: the one route without a token."""

from fastapi import APIRouter, Depends

from syncmon_pipeline import contract

from ..auth import Principal
from ..deps import require

router = APIRouter(prefix="/v1", tags=["system"])


@router.get("/healthz", summary="Liveness (no token needed)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/contract", summary="The event contract (JSON Schema, draft 2020-12)", tags=["events"])
async def event_contract(_: Principal = Depends(require("read"))) -> dict:
    return contract.SCHEMA
