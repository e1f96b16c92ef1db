"""A report part that cannot be computed is skipped, said in the report, and the rest is complete."""

from __future__ import annotations

from typing import Any

import pytest

from syncmon_pipeline.reports import performance
from syncmon_pipeline.reports.build import skipped_parts
from syncmon_pipeline.reports.queries import Queries
from syncmon_pipeline.reports.recommendations import SKIPPED, cpu_saturated, recommend

from report_support import generate, synthetic_home


def preloaded(**results: list[dict[str, Any]]) -> Queries:
    """Real `Queries` whose query results are already cached (no snapshot needed)."""
    q = Queries(None)  # type: ignore[arg-type]
    q._cache.update(results)
    return q


def perf_row(integration_id: str, **figures: Any) -> dict[str, Any]:
    row = {"integration_id": integration_id, "sessions": 10, "success_rate": 1.0, "p95_change": None,
           "p95_first_half": None, "p95_second_half": None, "api_calls": 0, "api_error_rate": None,
           "cpu_p95": 99.0, "memory_max": 512.0}  # fmt: skip
    return {**row, **figures}


def test_a_missing_memory_figure_reads_n_a_in_the_cpu_recommendation():
    """Regression: cpu_pct without memory_mb crashed every performance report (NoneType.__format__)."""
    (found,) = cpu_saturated(preloaded(performance_by_integration=[perf_row("a", memory_max=None)]))
    assert "max memory n/a" in found.text and found.figures["memory_max"] is None


def test_one_integration_whose_figures_cannot_be_read_is_skipped_and_named():
    q = preloaded(performance_by_integration=[perf_row("odd", memory_max="lots"), perf_row("fine")])
    found = list(cpu_saturated(q))
    assert [f.figures.get("integration_id") for f in found if f.rule == "cpu_saturated"] == ["fine"]
    (note,) = [f for f in found if f.rule == SKIPPED]
    assert note.figures["integrations"] == ["odd"] and "ValueError" in note.figures["error"]


def test_a_rule_that_fails_as_a_whole_leaves_the_other_rules_running():
    q = preloaded(performance_by_integration=[perf_row("x", cpu_p95="hot", success_rate=0.5)])
    found = recommend(q, ["performance.durations", "performance.resources"], sessions=10)
    assert any(r.rule == "low_success_rate" for r in found)
    assert any(r.rule == SKIPPED and r.figures["rule"] == "cpu_saturated" for r in found)


@pytest.fixture
def broken_resources(tmp_path, monkeypatch):
    """A synthetic snapshot, and the performance report's resources section raising when it is built."""

    def broken(q: Queries):
        raise ZeroDivisionError("injected for one section")

    monkeypatch.setitem(performance.SECTIONS, "resources", broken)
    return synthetic_home(tmp_path, sessions=400)


def test_a_section_that_raises_is_replaced_by_a_note_and_the_report_is_written(broken_resources):
    report = generate(broken_resources, "performance")
    resources = next(s for s in report.data.sections if s.key == "resources")
    assert "could not be computed (ZeroDivisionError: injected for one section)" in resources.intro
    assert all(s.charts or s.tables for s in report.data.sections if s.key != "resources")
    assert skipped_parts(report.data) == [{"section": "performance.resources",
                                           "error": "ZeroDivisionError: injected for one section"}]
    html = report.files.html.read_text("utf-8")
    assert "could not be computed" in html and report.files.json.exists()


@pytest.mark.parametrize("figure", ["p95_first_half", "p95_second_half"])
def test_a_slowdown_without_one_half_reads_n_a(figure):
    from syncmon_pipeline.reports.recommendations import slowing_down

    row = perf_row("s", p95_change=1.0, p95_first_half=60.0, p95_second_half=120.0)
    row[figure] = None if figure == "p95_first_half" else row[figure]
    (found,) = list(slowing_down(preloaded(performance_by_integration=[row])))
    assert ("n/a" in found.text) == (figure == "p95_first_half")


def test_a_report_sent_with_skipped_parts_raises_a_pipeline_alert_that_resolves(broken_resources, tmp_path,
                                                                                monkeypatch):
    import duckdb

    from syncmon_pipeline.alerts.pipeline_failures import failure_observations
    from syncmon_pipeline.reports.delivery import ReportToSend, record_skipped_parts

    paths = broken_resources
    generated = generate(paths, "performance")
    report = ReportToSend("performance", generated.data.period.label, "weekly", generated.files.folder)
    now = generated.data.generated_at
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        assert record_skipped_parts(con, report, now=now) == [{"section": "performance.resources",
                                                               "error": "ZeroDivisionError: injected for one section"}]
        (alert,) = failure_observations(con, now)
        assert alert.integration_id == "pipeline:report_parts:performance-weekly" and alert.rule == "sync_failure"
        monkeypatch.setitem(performance.SECTIONS, "resources", performance.resources)  # mended
        generate(paths, "performance")
        assert record_skipped_parts(con, report, now=now.replace(hour=now.hour + 1)) == []
        assert failure_observations(con, now.replace(hour=now.hour + 1)) == []
