"""Providers the simulated platform connects to, and the fleet of integrations built from them."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# How often each integration runs its scheduled sync, cycled over the fleet so that
# every fleet of five or more has fast, hourly and daily integrations.
CADENCE_CYCLE_S: tuple[int, ...] = (900, 3600, 900, 3600, 86400)
SYNC_TYPE_BY_CADENCE: dict[int, str] = {900: "delta", 3600: "incremental", 86400: "full"}


@dataclass(frozen=True)
class Provider:
    """An external system: what it holds and how its API behaves at size 1.0."""

    name: str
    unit: str  # how a tenant is called: district, university, company...
    domain: str  # host pattern, formatted with unit and number
    api_path: str
    calendar: str  # "school" or "office": when users change data
    entities: tuple[tuple[str, int], ...]  # (entity type, records held at size 1.0)
    latency_ms: float  # typical API call latency
    records_per_s: float  # typical sync throughput
    page_size: int
    rate_limit: int  # API calls allowed per window
    supports_webhooks: bool = False


PROVIDERS: tuple[Provider, ...] = (
    Provider("powerschool", "district", "{unit}{n}.powerschool.com", "/ws/v1/district", "school",
             (("students", 9000), ("teachers", 650), ("sections", 2600), ("enrollments", 38000),
              ("attendance", 55000), ("grades", 80000)), 180.0, 160.0, 100, 5000),
    Provider("infinite-campus", "district", "campus.{unit}{n}.k12.us", "/campus/api/oneroster/v1p2", "school",
             (("students", 7000), ("staff", 800), ("enrollments", 30000), ("attendance", 45000),
              ("schedules", 12000)), 240.0, 110.0, 200, 3000),
    Provider("canvas", "university", "{unit}{n}.instructure.com", "/api/v1", "school",
             (("users", 22000), ("courses", 1800), ("enrollments", 60000), ("assignments", 25000),
              ("submissions", 140000)), 150.0, 220.0, 100, 3000, True),
    Provider("schoology", "district", "{unit}{n}.schoology.com", "/v1", "school",
             (("users", 9000), ("courses", 900), ("sections", 2400), ("enrollments", 30000),
              ("grades", 60000)), 210.0, 130.0, 200, 2500),
    Provider("clever", "district", "api.clever.com", "/v3.0/districts/{unit}{n}", "school",
             (("schools", 40), ("students", 8000), ("teachers", 600), ("sections", 2500)),
             120.0, 260.0, 1000, 1200, True),
    Provider("workday", "tenant", "wd5-impl-services1.workday.com", "/ccx/service/{unit}{n}/Human_Resources/v41.0",
             "office", (("employees", 4200), ("positions", 4600), ("organizations", 300), ("payroll", 9000),
                        ("time_off", 6000)), 420.0, 70.0, 100, 2000),
    Provider("bamboohr", "company", "api.bamboohr.com", "/api/gateway.php/{unit}{n}/v1", "office",
             (("employees", 900), ("departments", 40), ("time_off", 2500), ("job_info", 1800)),
             260.0, 90.0, 500, 1000, True),
    Provider("netsuite", "subsidiary", "{n}.suitetalk.api.netsuite.com", "/services/rest/record/v1", "office",
             (("customers", 12000), ("vendors", 2500), ("invoices", 30000), ("payments", 26000),
              ("journal_entries", 40000)), 380.0, 60.0, 1000, 4000),
)

# Offsets (hours) of US time zones the tenants live in, so peaks do not all align.
TZ_OFFSETS_H: tuple[int, ...] = (-5, -6, -7, -8, -5, -6)
# Local hour of the nightly full sync (daily integrations, and the nightly run of faster ones).
NIGHTLY_HOUR = 2


@dataclass(frozen=True)
class Integration:
    """One connector instance and its personality (all drawn once from the seed)."""

    index: int
    integration_id: str
    provider: Provider
    number: int
    entity_types: tuple[str, ...]
    records: tuple[int, ...]  # records held per entity type (same order)
    cadence_s: int
    sync_type: str
    direction: str
    tz_offset_h: int
    phase_s: float  # offset of the schedule within its cadence
    health_interval_s: float
    latency_ms: float
    records_per_s: float
    memory_mb: float
    conflict_rate: float  # expected conflicts per session on a normal day
    max_runtime_s: float  # sessions running longer are timed out

    @property
    def provider_name(self) -> str:
        return self.provider.name

    @property
    def host(self) -> str:
        unit = self.provider.unit
        return self.provider.domain.format(unit=unit, n=self.number)

    @property
    def api_base(self) -> str:
        return f"https://{self.host}{self.provider.api_path.format(unit=self.provider.unit, n=self.number)}"

    @property
    def total_records(self) -> int:
        return sum(self.records)


def build_fleet(count: int, rng: random.Random) -> list[Integration]:
    """`count` integrations spread over every provider, with distinct ids like `powerschool-district-12`."""
    if count < 1:
        raise ValueError(f"integrations must be >= 1, got {count}")
    providers = list(PROVIDERS)
    rng.shuffle(providers)
    used: dict[str, set[int]] = {}
    fleet = []
    for index in range(count):
        provider = providers[index % len(providers)]
        numbers = used.setdefault(provider.name, set())
        number = rng.randint(1, 99)
        while number in numbers:
            number = number % 999 + 1
        numbers.add(number)
        fleet.append(_integration(index, provider, number, rng))
    return fleet


def _integration(index: int, provider: Provider, number: int, rng: random.Random) -> Integration:
    k = rng.randint(min(2, len(provider.entities)), min(5, len(provider.entities)))
    chosen = sorted(rng.sample(range(len(provider.entities)), k))
    size = min(5.0, max(0.15, rng.lognormvariate(0.0, 0.6)))
    cadence = CADENCE_CYCLE_S[index % len(CADENCE_CYCLE_S)]
    direction = rng.choices(("inbound", "outbound", "bidirectional"), weights=(70, 12, 18))[0]
    conflict_rate = rng.uniform(0.3, 0.8) if direction == "bidirectional" else rng.uniform(0.01, 0.05)
    records = tuple(max(5, int(provider.entities[i][1] * size * rng.uniform(0.7, 1.3))) for i in chosen)
    records_per_s = provider.records_per_s * rng.lognormvariate(0.0, 0.25)
    # The platform kills runs after this long: a cadence (within 30 min..3 h), and never less
    # than three times what a nightly full sync normally takes.
    max_runtime = max(min(max(1800, cadence), 10800), 3.0 * (30.0 + sum(records) / records_per_s))
    return Integration(
        index=index,
        integration_id=f"{provider.name}-{provider.unit}-{number}",
        provider=provider,
        number=number,
        entity_types=tuple(provider.entities[i][0] for i in chosen),
        records=records,
        cadence_s=cadence,
        sync_type=SYNC_TYPE_BY_CADENCE[cadence],
        direction=direction,
        tz_offset_h=rng.choice(TZ_OFFSETS_H),
        phase_s=round(rng.uniform(0, min(cadence, 3600) * 0.5)),
        health_interval_s=float(rng.choice((300, 450, 600, 750, 900))),
        latency_ms=provider.latency_ms * rng.lognormvariate(0.0, 0.2),
        records_per_s=records_per_s,
        memory_mb=rng.uniform(180, 420) * (1.0 + 0.3 * math.log1p(size)),
        conflict_rate=conflict_rate,
        max_runtime_s=round(max_runtime),
    )
