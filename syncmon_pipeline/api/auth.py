"""Bearer tokens: who is calling and what they may do (scopes), compared in constant time.

Secrets come only from the environment (`api.tokens[].secret_env`). With no token configured the
service makes one admin token and keeps it in `$SYNCMON_HOME/api-token` (mode 600), so a fresh install
is never open to anyone who can reach the port.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .settings import ApiTokenSettings

GENERATED_TOKEN_NAME = "local-admin"


class TokenConfigError(ValueError):
    """A configured token whose secret is missing or too weak; the message names the token."""


@dataclass(frozen=True)
class Principal:
    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class _Token:
    secret: bytes
    principal: Principal


class TokenRegistry:
    def __init__(self, tokens: Sequence[tuple[str, Principal]]):
        self._tokens = tuple(_Token(secret.encode(), principal) for secret, principal in tokens)

    def authenticate(self, presented: str | None) -> Principal | None:
        """The token's principal, or None. Every secret is compared, so timing says nothing about which."""
        if not presented:
            return None
        candidate = presented.encode()
        found = None
        for token in self._tokens:
            if hmac.compare_digest(candidate, token.secret):
                found = token.principal
        return found


def generated_token(token_file: Path) -> str:
    """The local admin token: read from `token_file`, or created there (mode 600) on first start."""
    if token_file.exists():
        value = token_file.read_text("utf-8").strip()
        if value:
            return value
    token_file.parent.mkdir(parents=True, exist_ok=True)
    value = "sm_" + secrets.token_urlsafe(32)
    tmp = token_file.with_name(f".{token_file.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    os.replace(tmp, token_file)
    return value


def build_registry(
    configured: Sequence[ApiTokenSettings], environ: Mapping[str, str], token_file: Path
) -> tuple[TokenRegistry, str | None]:
    """The registry, plus the generated admin token when none is configured (else None)."""
    if not configured:
        value = generated_token(token_file)
        return TokenRegistry([(value, Principal(GENERATED_TOKEN_NAME, frozenset({"admin"})))]), value
    tokens = []
    for token in configured:
        secret = environ.get(token.secret_env, "")
        if len(secret) < 16:
            raise TokenConfigError(
                f"api.tokens: token {token.name!r}: environment variable {token.secret_env} is "
                + ("not set" if not secret else "shorter than 16 characters")
            )
        tokens.append((secret, Principal(token.name, frozenset(token.scopes))))
    return TokenRegistry(tokens), None
