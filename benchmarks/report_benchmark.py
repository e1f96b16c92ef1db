"""Report benchmark: the performance report over 30 days of 200 integrations and 1M sessions.

Targets (issue 6): generated in <= 10 s, HTML <= 5 MB. The snapshot is the deterministic synthetic
one (`syncmon_pipeline.reports.synthetic`), with the real snapshot's schema. Timed, side by side on
the same machine and the same file:
  - baseline: one pass over the period's sessions (p95 duration and records per integration), the
    least any report on this data has to read;
  - the report: scope, every section query, recommendations, HTML (plotly.js inlined), CSVs, JSON
    and the e-mail body; PDF is timed separately (headless Chromium, when installed).
Each is run REPEATS times; medians and the ratio report/baseline are printed.

    .venv/bin/python benchmarks/report_benchmark.py [--sessions 1000000] [--integrations 200] [--days 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from syncmon_pipeline.config import DataPaths
from syncmon_pipeline.reports.build import ReportRequest
from syncmon_pipeline.reports.materialize import generate_report
from syncmon_pipeline.reports.pdf import ChromiumMissing, find_chromium, render_pdf
from syncmon_pipeline.reports.period import custom_period
from syncmon_pipeline.reports.settings import ReportSettings
from syncmon_pipeline.reports.synthetic import write_synthetic_snapshot

END = datetime(2026, 11, 1, tzinfo=UTC)
REPEATS = 3
TARGET_SECONDS = 10.0
TARGET_HTML_BYTES = 5_000_000  # 5 MB, decimal: the stricter reading
BASELINE_SQL = (
    "SELECT integration_id, quantile_cont(duration_seconds, 0.95), sum(records_processed)"
    " FROM marts.fct_sync_sessions WHERE started_at >= ? AND started_at < ? GROUP BY 1"
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--integrations", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="syncmon-report-bench-") as work:
        paths = DataPaths(home=Path(work)).ensure()
        started = time.perf_counter()
        counts = write_synthetic_snapshot(paths.analytics_snapshot, integrations=args.integrations, days=args.days,
                                          sessions=args.sessions, end=END)
        print(f"synthetic snapshot: {counts['marts.fct_sync_sessions']:,} sessions, {args.integrations} integrations,"
              f" {args.days} days, {paths.analytics_snapshot.stat().st_size / 1e6:.0f} MB"
              f" in {time.perf_counter() - started:.1f} s")
        period = custom_period(END - timedelta(days=args.days), END, "UTC", "performance-30d")
        request = ReportRequest("performance", period)
        settings = ReportSettings(pdf=False, chart_images=False)
        baseline, report = [], []
        for _ in range(REPEATS):
            started = time.perf_counter()
            with duckdb.connect(str(paths.analytics_snapshot), read_only=True) as con:
                con.execute(BASELINE_SQL, [period.start.replace(tzinfo=None), period.end.replace(tzinfo=None)]).fetchall()
            baseline.append(time.perf_counter() - started)
            started = time.perf_counter()
            generated = generate_report(paths, request, settings, generated_at=END)
            report.append(time.perf_counter() - started)
        base, seconds = statistics.median(baseline), statistics.median(report)
        html_bytes = generated.files.html_bytes
        print(f"baseline (one pass over the sessions): median {base:.2f} s of {REPEATS}")
        print(f"performance report, 30 days:           median {seconds:.2f} s of {REPEATS}"
              f"  (ratio to baseline {seconds / base:.1f}x)  target <= {TARGET_SECONDS:.0f} s:"
              f" {'met' if seconds <= TARGET_SECONDS else 'NOT met'}")
        print(f"HTML size: {html_bytes:,} bytes = {html_bytes / 1e6:.2f} MB (plotly.js inlined, gzip-packed)  target <= 5 MB:"
              f" {'met' if html_bytes <= TARGET_HTML_BYTES else 'NOT met'}"
              f"; {len(generated.data.charts)} charts, {len(generated.data.tables)} tables,"
              f" {sum(len(t.rows) for t in generated.data.tables):,} table rows")
        try:
            chromium = find_chromium()
            started = time.perf_counter()
            render_pdf(generated.files.html, Path(work) / "report.pdf", chromium=chromium)
            print(f"PDF (headless Chromium): {time.perf_counter() - started:.1f} s,"
                  f" {(Path(work) / 'report.pdf').stat().st_size / 1e6:.1f} MB")
        except (ChromiumMissing, RuntimeError) as exc:
            print(f"PDF: {exc}")
        return 0 if seconds <= TARGET_SECONDS and html_bytes <= TARGET_HTML_BYTES else 1


if __name__ == "__main__":
    raise SystemExit(main())
