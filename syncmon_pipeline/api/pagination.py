"""Keyset pagination: an opaque cursor holding the last row's sort key and a hash of the filters.

The cursor is base64url(JSON {"k": [sort key...], "f": filters hash}). Sort keys always end with the
row's id, so rows never tie: a page starts strictly after the previous page's last row, and pages
neither overlap nor skip, even when the snapshot is republished between them. A cursor presented with
other filters (or to another endpoint) is refused with 422, as is anything that is not a cursor.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from syncmon_pipeline.timestamps import to_utc_naive

from .problems import Problem

T = TypeVar("T")
MAX_CURSOR_CHARS = 2048
LIMIT_MAX = 500
LIMIT_DEFAULT = 50

# A sort key part: how it is written into the cursor and read back.
KeyKind = str  # "datetime" | "str" | "int" | "float"


def filters_hash(endpoint: str, filters: Mapping[str, Any]) -> str:
    canonical = json.dumps({"endpoint": endpoint, **filters}, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _dump(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def encode_cursor(key: Sequence[Any], fingerprint: str) -> str:
    body = json.dumps({"k": [_dump(v) for v in key], "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=")


def _bad(detail: str) -> Problem:
    return Problem(422, f"cursor: {detail}; start again without `cursor`, or pass the `next_cursor` of the previous"
                        " page unchanged, with the same filters")  # fmt: skip


def _load(value: Any, kind: KeyKind) -> Any:
    if kind == "datetime":
        if not isinstance(value, str):
            raise ValueError
        return to_utc_naive(datetime.fromisoformat(value))  # the snapshot's naive UTC
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError
        return value
    if kind == "float":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ValueError
        return float(value)
    raise ValueError(kind)


def decode_cursor(token: str, fingerprint: str, kinds: Sequence[KeyKind]) -> list[Any]:
    """The sort key in `token`; a 422 problem when it is not one of ours or was made for other filters."""
    if len(token) > MAX_CURSOR_CHARS:
        raise _bad("too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _bad("not a cursor of this API") from None
    if not isinstance(data, dict) or not isinstance(data.get("k"), list) or not isinstance(data.get("f"), str):
        raise _bad("not a cursor of this API")
    if data["f"] != fingerprint:
        raise _bad("it was issued for other filters or another list")
    if len(data["k"]) != len(kinds):
        raise _bad("not a cursor of this list")
    try:
        return [_load(value, kind) for value, kind in zip(data["k"], kinds)]
    except (ValueError, TypeError, OverflowError):
        raise _bad("not a cursor of this list") from None


def page_of(rows: list[T], limit: int, key: Callable[[T], Sequence[Any]], fingerprint: str) -> tuple[list[T], str | None]:
    """`rows` fetched with LIMIT limit + 1: the page and the cursor of the next one (None on the last page)."""
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(key(page[-1]), fingerprint)
