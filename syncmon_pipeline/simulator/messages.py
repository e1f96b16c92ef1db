"""Realistic free text for errors, warnings, reasons and health checks.

Like real connector logs, some messages leak things that must be redacted at
ingest: e-mail addresses, `Authorization: Bearer ...` headers, `password=...`,
credentials in URLs (`https://user:pass@host/...`) and `?api_key=...`.
"""

from __future__ import annotations

import random
import string

from .catalog import Integration

_FIRST = ("maria", "james", "aisha", "wei", "olivia", "diego", "fatima", "noah", "sofia", "liam", "priya", "ethan")
_LAST = ("lopez", "smith", "khan", "chen", "johnson", "garcia", "nguyen", "brown", "patel", "okafor", "miller")
_FIELDS = ("state_id", "entry_date", "grade_level", "email", "section_id", "course_code", "employee_number",
           "cost_center", "birth_date", "home_school_id")
_B64 = string.ascii_letters + string.digits + "-_"
_HEX = "0123456789abcdef"


def _token(rng: random.Random, n: int, alphabet: str = _B64) -> str:
    return "".join(rng.choices(alphabet, k=n))


def email(rng: random.Random, integration: Integration) -> str:
    domain = f"{integration.provider.unit}{integration.number}.org"
    return f"{rng.choice(_FIRST)}.{rng.choice(_LAST)}@{domain}"


def bearer(rng: random.Random) -> str:
    return f"eyJhbGciOiJSUzI1NiJ9.{_token(rng, 24)}.{_token(rng, 16)}"


def entity_id(rng: random.Random, entity_type: str) -> str:
    return f"{entity_type[:3]}-{rng.randint(10000, 999999)}"


def _url(integration: Integration, entity_type: str) -> str:
    return f"{integration.api_base}/{entity_type}"


def error_text(category: str, integration: Integration, rng: random.Random, entity_type: str) -> tuple[str, str]:
    """(code, message) of one error of `category` while syncing `entity_type`."""
    host, url = integration.host, _url(integration, entity_type)
    if category == "network":
        return rng.choice((
            ("ECONNRESET", f"GET {url}?limit={integration.provider.page_size} failed: connection reset by peer"),
            ("ETIMEDOUT", f"read timeout after 30000 ms on {url}"),
            ("ETIMEDOUT", f"HTTPSConnectionPool(host='{host}', port=443): Max retries exceeded with url: "
                          f"{url}?api_key={_token(rng, 32, _HEX)} (connect timeout=30)"),
            ("ENOTFOUND", f"could not connect to https://svc_sync:{_token(rng, 12)}@{host}/: "
                          "Name or service not known"),
            ("HTTP_502", f"502 Bad Gateway from {host}"),
            ("HTTP_503", f"503 Service Unavailable from {host}: upstream maintenance"),
        ))
    if category == "authentication":
        return rng.choice((
            ("HTTP_401", f"401 Unauthorized: access token expired (Authorization: Bearer {bearer(rng)})"),
            ("invalid_grant", f"invalid_grant: refresh token revoked for client {email(rng, integration)}"),
            ("AUTH_FAILED", f"login failed for user=integration.user password={_token(rng, 10)}: "
                            "invalid username or password"),
            ("HTTP_403", f"403 Forbidden: API key {_token(rng, 8, _HEX)}... lacks scope read:{entity_type}"),
        ))
    if category == "rate_limit":
        return rng.choice((
            ("HTTP_429", f"429 Too Many Requests: limit of {integration.provider.rate_limit} calls/hour exceeded, "
                         f"retry after {rng.randint(5, 120)}s"),
            ("RATE_LIMITED", f"{host} throttled request to {url}?api_key={_token(rng, 24, _HEX)} "
                             "(X-RateLimit-Remaining: 0)"),
            ("CONCURRENCY_LIMIT", "API concurrency limit reached: 10 concurrent requests allowed"),
        ))
    if category == "validation":
        eid = entity_id(rng, entity_type)
        return rng.choice((
            ("REQUIRED_FIELD", f"{entity_type} {eid}: required field '{rng.choice(_FIELDS)}' is missing"),
            ("INVALID_DATE", f"{entity_type} {eid}: value '2026-13-0{rng.randint(1, 9)}' for 'entry_date' "
                             "is not a valid date"),
            ("DUPLICATE_EMAIL", f"{entity_type} {eid}: e-mail {email(rng, integration)} already belongs to "
                                f"{entity_id(rng, entity_type)}"),
            ("UNKNOWN_REFERENCE", f"{entity_type} {eid}: reference to unknown school_id {rng.randint(100, 999)}"),
            ("INVALID_ENUM", f"{entity_type} {eid}: grade_level 'KG{rng.randint(2, 4)}' not in allowed values"),
        ))
    if category == "conflict":
        eid = entity_id(rng, entity_type)
        return ("VERSION_MISMATCH", f"target rejected update of {entity_type} {eid}: version mismatch "
                                    f"(expected {rng.randint(2, 40)}, found a newer one)")
    return rng.choice((
        ("HTTP_500", f"500 Internal Server Error from {url}"),
        ("OOM", "java.lang.OutOfMemoryError: Java heap space"),
        ("OOM_KILLED", "worker process killed (OOMKilled, exit code 137)"),
        ("DB_CONNECT", "could not connect to staging database (dsn: host=10.0.4.12 port=5432 user=sync "
                       f"password={_token(rng, 14)}): FATAL: too many connections"),
        ("TRANSFORM_ERROR", f"KeyError: '{rng.choice(_FIELDS)}' in transform step map_{entity_type}"),
        ("SCHEMA_MISMATCH", f"mapping for field '{rng.choice(_FIELDS)}' missing in target schema "
                            f"v{rng.randint(8, 14)}"),
        ("DISK_QUOTA", f"disk quota exceeded writing staging batch /var/lib/sync/tmp/batch-{rng.randint(1, 9999):04d}"),
    ))


def failure_reason(category: str, integration: Integration, attempts: int) -> str:
    if category == "network":
        return f"{integration.host} unreachable after {attempts} attempts"
    if category == "authentication":
        return "authentication failed: credentials rejected by provider"
    if category == "rate_limit":
        return "rate limit exceeded; retry budget exhausted"
    if category == "validation":
        return "load aborted: too many records rejected by validation"
    if category == "conflict":
        return "load aborted: unresolvable conflicts with target"
    return "unhandled error in sync worker"


WARNINGS: tuple[tuple[str, str], ...] = (
    ("FIELD_TRUNCATED", "{entity_type} {eid}: field 'notes' truncated to 255 characters"),
    ("MISSING_OPTIONAL_FIELD", "{entity_type} {eid}: optional field 'external_id' missing"),
    ("DEPRECATED_API", "endpoint {url} is deprecated and will be removed on 2027-06-30"),
    ("SLOW_RESPONSE", "{host} responded in {ms} ms (threshold 2000 ms)"),
    ("CONTACT_BOUNCED", "{entity_type} {eid}: notification to {email} bounced"),
    ("STALE_CURSOR", "change cursor older than 48h, fell back to a wider window"),
)


def warning_text(integration: Integration, rng: random.Random, entity_type: str) -> tuple[str, str, str | None]:
    """(code, message, entity_id or None) of one warning."""
    code, pattern = rng.choice(WARNINGS)
    eid = entity_id(rng, entity_type)
    message = pattern.format(entity_type=entity_type, eid=eid, url=_url(integration, entity_type),
                             host=integration.host, ms=rng.randint(2100, 9000), email=email(rng, integration))
    return code, message, (eid if "{eid}" in pattern else None)


def cancel_reason(integration: Integration, rng: random.Random) -> str:
    return rng.choice((f"cancelled by {email(rng, integration)} from the admin console",
                       "cancelled: superseded by a newer run",
                       "cancelled by scheduler during maintenance window"))


def health_message(integration: Integration, rng: random.Random, *, reachable: bool, auth_status: str,
                   rate_limited: bool) -> str | None:
    if not reachable:
        return rng.choice((f"connect ETIMEDOUT {integration.host}:443",
                           f"GET https://monitor:{_token(rng, 10)}@{integration.host}/health -> connection refused",
                           f"503 Service Unavailable from {integration.host}"))
    if auth_status == "expired":
        return f"token expired (Authorization: Bearer {bearer(rng)})"
    if auth_status == "invalid":
        return f"credentials for {email(rng, integration)} rejected"
    if auth_status == "expiring":
        return "OAuth client secret expires in less than 24 hours"
    if rate_limited:
        return "rate limit nearly exhausted"
    return None
