"""The `api` section of syncmon.yaml: tokens (secrets from the environment), limits and the stream."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Scope = Literal["read", "ingest", "operate", "admin"]
SCOPES: tuple[str, ...] = ("read", "ingest", "operate", "admin")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiTokenSettings(_Section):
    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$", description="Recorded as the actor of its commands.")
    scopes: list[Scope] = Field(min_length=1, description="read, ingest, operate, admin (admin grants all).")
    secret_env: str = Field(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="The environment variable that holds the token's secret."
    )


class ApiSettings(_Section):
    tokens: list[ApiTokenSettings] = Field(
        default_factory=list,
        description="Bearer tokens; none: the service creates an admin token in $SYNCMON_HOME/api-token.",
    )
    max_body_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="Larger request bodies get 413.")
    max_events_per_request: int = Field(10_000, ge=1, le=1_000_000)
    rate_limit_per_second: float = Field(50.0, gt=0, description="Requests per token per second, sustained.")
    rate_limit_burst: int = Field(200, ge=1, description="Requests a token may make at once before 429.")
    allowed_origins: list[str] = Field(
        default_factory=list, description="Extra Origins the WebSocket accepts (its own origin always is)."
    )
    landing_flush_ms: int = Field(
        50, ge=0, le=5000, description="Accepted events arriving within this window share one landing file."
    )
    landing_file_max_events: int = Field(50_000, ge=1, description="A landing file holds at most this many events.")
    stream_buffer: int = Field(20_000, ge=100, description="Messages kept for Last-Event-ID resume.")
    heartbeat_seconds: float = Field(15.0, gt=0, le=300)
    idempotency_hours: float = Field(24.0, gt=0, description="How long an Idempotency-Key is remembered.")

    @field_validator("tokens")
    @classmethod
    def _unique_names(cls, tokens: list[ApiTokenSettings]) -> list[ApiTokenSettings]:
        names = [t.name for t in tokens]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"token names must be unique: {duplicates}")
        return tokens
