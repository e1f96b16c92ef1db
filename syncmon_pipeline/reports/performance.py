"""Performance report: durations and their trend, throughput, API response times, resource use."""

from __future__ import annotations

from .model import Column as C
from .model import Figure, Section
from .queries import Queries, chart, series, table

TITLE = "Performance report"


def summary(q: Queries) -> tuple[Figure, ...]:
    s = q.one("performance_summary")
    return (
        Figure("sessions", "Sessions", s.get("sessions", 0)),
        Figure("success_rate", "Success rate", s.get("success_rate"), "percent"),
        Figure("duration_p50", "Median duration", s.get("duration_p50"), "seconds"),
        Figure("duration_p95", "p95 duration", s.get("duration_p95"), "seconds"),
        Figure("records_processed", "Records processed", s.get("records_processed", 0)),
        Figure("throughput_avg", "Avg throughput (records/s)", s.get("throughput_avg"), "number"),
        Figure("api_latency_p95_avg", "API latency p95 (ms)", s.get("api_latency_p95_avg"), "number"),
        Figure("api_error_rate", "API error rate", s.get("api_error_rate"), "percent"),
    )


def durations(q: Queries) -> Section:
    trend = q.records("performance_trend")
    return Section(
        "durations", "Sync durations",
        "Median and 95th-percentile session duration per bucket, and per integration with the change of the p95"
        " between the first and second half of the period.",
        charts=(chart("duration_trend", "Session duration", "line", series("median", trend, "bucket", "duration_p50"),
                      series("p95", trend, "bucket", "duration_p95"), y_title="seconds"),),
        tables=(table("durations_by_integration", "Durations by integration", q.records("performance_by_integration"), [
            C("integration_id", "Integration"), C("provider", "Provider"), C("sessions", "Sessions", "int"),
            C("success_rate", "Success rate", "percent"), C("duration_avg", "Avg duration", "seconds"),
            C("duration_p95", "p95 duration", "seconds"), C("p95_first_half", "p95 1st half", "seconds"),
            C("p95_second_half", "p95 2nd half", "seconds"), C("p95_change", "p95 change", "percent"),
        ]),),
    )


def throughput(q: Queries) -> Section:
    trend = q.records("performance_trend")
    top = sorted((r for r in q.records("performance_by_integration") if r["throughput_avg"] is not None),
                 key=lambda r: (-r["throughput_avg"], r["integration_id"]))[:15]
    return Section(
        "throughput", "Throughput",
        "Records processed per bucket across the fleet, and the integrations with the highest average throughput.",
        charts=(
            chart("records_trend", "Records processed", "area", series("records processed", trend, "bucket", "records_processed"),
                  y_title="records"),
            chart("throughput_top", "Average throughput, top 15 integrations", "bar",
                  series("records/s", top, "integration_id", "throughput_avg"), y_title="records/s"),
        ),
        tables=(table("throughput_by_integration", "Throughput by integration", q.records("performance_by_integration"), [
            C("integration_id", "Integration"), C("records_processed", "Records processed", "int"),
            C("throughput_avg", "Avg records/s", "number"), C("sessions", "Sessions", "int"),
        ]),),
    )


def api(q: Queries) -> Section:
    trend = q.records("performance_trend")
    return Section(
        "api", "API response times",
        "Latency the synchronisers measured against the external systems' APIs, and the share of API calls that failed.",
        charts=(chart("api_latency_trend", "API latency", "line", series("average", trend, "bucket", "api_latency_avg"),
                      series("p95", trend, "bucket", "api_latency_p95"), y_title="ms"),),
        tables=(table("api_by_integration", "API calls by integration", q.records("performance_by_integration"), [
            C("integration_id", "Integration"), C("api_calls", "API calls", "int"),
            C("api_error_rate", "API error rate", "percent"), C("latency_avg", "Avg latency (ms)", "number"),
            C("latency_p95", "p95 latency (ms)", "number"),
        ]),),
    )


def resources(q: Queries) -> Section:
    by_integration = [r for r in q.records("performance_by_integration") if r["cpu_avg"] is not None]
    return Section(
        "resources", "Resource use",
        "CPU and memory the synchronisers reported per session; each point of the scatter is one integration.",
        charts=(chart("cpu_memory", "CPU against memory per integration", "scatter",
                      series("integrations", by_integration, "cpu_avg", "memory_avg", text="integration_id"),
                      x_title="avg CPU %", y_title="avg memory MB"),),
        tables=(table("resources_by_integration", "Resource use by integration", q.records("performance_by_integration"), [
            C("integration_id", "Integration"), C("cpu_avg", "Avg CPU %", "number"), C("cpu_p95", "p95 CPU %", "number"),
            C("memory_avg", "Avg memory MB", "number"), C("memory_max", "Max memory MB", "number"),
        ]),),
    )


SECTIONS = {"durations": durations, "throughput": throughput, "api": api, "resources": resources}
