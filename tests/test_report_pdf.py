"""PDF export through the system's headless Chromium, and what happens without one.

The rendering tests need Chromium (Debian: `apt-get install chromium`); without it they fail, they do
not skip. The "no Chromium" tests hide it by pointing PATH at an empty folder.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from report_support import generate, synthetic_home
from syncmon_pipeline.reports.materialize import GeneratedReport
from syncmon_pipeline.reports.pdf import CANDIDATES, ChromiumMissing, find_chromium, render_pdf
from syncmon_pipeline.reports.writer import write_report

pytestmark = pytest.mark.browser  # drives Debian's chromium

MIN_PDF_BYTES = 20_000


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> GeneratedReport:
    paths = synthetic_home(tmp_path_factory.mktemp("pdf"))
    return generate(paths, "performance")  # pdf=False: the tests below print it themselves


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return find_chromium()
    except ChromiumMissing as exc:
        pytest.fail(f"PDF tests need headless Chromium: apt-get install chromium (CI installs it). {exc}", pytrace=False)


def _assert_pdf(path: Path) -> None:
    assert path.is_file(), path
    body = path.read_bytes()
    assert body.startswith(b"%PDF-"), body[:20]
    assert len(body) > MIN_PDF_BYTES, f"{path} is only {len(body)} bytes"
    assert body.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b", body))
    assert pages >= 2, f"{path} has {pages} page(s): a whole report is longer than one"


def test_render_pdf(report: GeneratedReport, chromium: str, tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.pdf"
    target.parent.mkdir()
    render_pdf(report.files.html, target, chromium=chromium)
    _assert_pdf(target)
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"], "no partial file left behind"


def test_render_pdf_failure_is_a_runtime_error(report: GeneratedReport, tmp_path: Path) -> None:
    failing = shutil.which("false")
    assert failing
    target = tmp_path / "report.pdf"
    with pytest.raises(RuntimeError, match=r"could not print report\.html \(exit 1\)"):
        render_pdf(report.files.html, target, chromium=failing)
    assert list(tmp_path.iterdir()) == []


def test_write_report_with_pdf(report: GeneratedReport, chromium: str, tmp_path: Path) -> None:
    files = write_report(report.data, tmp_path / "reports" / "performance" / report.data.period.label, pdf=True)
    assert files.pdf == files.folder / "report.pdf"
    assert files.pdf_problem is None
    _assert_pdf(files.pdf)
    assert files.sizes["report.pdf"] == files.pdf.stat().st_size
    assert files.html.is_file() and files.json.is_file() and all(p.is_file() for p in files.csvs.values())


def test_write_report_with_pdf_turned_off(report: GeneratedReport, tmp_path: Path) -> None:
    files = write_report(report.data, tmp_path / "weekly", pdf=False)
    assert files.pdf is None
    assert files.pdf_problem == "PDF not rendered: turned off (reports.pdf: false)"
    assert not (files.folder / "report.pdf").exists()


def test_find_chromium_configured(chromium: str) -> None:
    assert find_chromium(environ={"SYNCMON_CHROMIUM": chromium}) == chromium
    assert find_chromium(environ={"SYNCMON_CHROMIUM": f"  {chromium} "}) == chromium


def test_find_chromium_configured_but_missing() -> None:
    with pytest.raises(ChromiumMissing) as caught:
        find_chromium(environ={"SYNCMON_CHROMIUM": "/nonexistent/chromium"})
    assert "/nonexistent/chromium" in str(caught.value)
    assert "SYNCMON_CHROMIUM" in str(caught.value)


def test_find_chromium_not_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ChromiumMissing) as caught:
        find_chromium(environ={"PATH": str(tmp_path)})
    message = str(caught.value)
    assert "chromium" in message.lower()
    assert "apt-get install chromium" in message
    assert "SYNCMON_CHROMIUM" in message
    assert all(name in message for name in CANDIDATES)


def test_write_report_without_chromium(report: GeneratedReport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("SYNCMON_CHROMIUM", raising=False)
    files = write_report(report.data, tmp_path / "weekly", pdf=True, email_images=True)
    assert files.pdf is None
    assert files.pdf_problem is not None
    assert files.pdf_problem.startswith("PDF not rendered")
    assert "chromium" in files.pdf_problem.lower() and "apt-get install chromium" in files.pdf_problem
    assert not (files.folder / "report.pdf").exists()
    # Everything else is still written.
    assert files.html.is_file() and files.html.read_text("utf-8").startswith("<!doctype html>")
    assert files.json.is_file()
    assert files.csvs and all(p.is_file() for p in files.csvs.values())
    assert {"report.html", "report.json", *(p.name for p in files.csvs.values())} <= set(files.sizes)
    assert "report.pdf" not in files.sizes
