"""PDF export through headless Chromium, when it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Flags for a machine without a screen or network: no sandbox (root in containers), no GPU, and no
# background connections (a closed network refuses them, slowly).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
)  # fmt: skip


class ChromiumMissing(RuntimeError):
    pass


def find_chromium(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The Chromium program: $SYNCMON_CHROMIUM, else the first of CANDIDATES on PATH."""
    configured = environ.get("SYNCMON_CHROMIUM", "").strip()
    if configured:
        if shutil.which(configured):
            return shutil.which(configured) or configured
        raise ChromiumMissing(f"SYNCMON_CHROMIUM={configured} is not an executable program")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing(
        "headless Chromium is not installed: none of " + ", ".join(CANDIDATES) + " is on PATH"
        " (Debian: apt-get install chromium; or set SYNCMON_CHROMIUM to the program)"
    )


def render_pdf(html: Path, pdf: Path, *, chromium: str, timeout: float = 120) -> None:
    """Print `html` to `pdf` after its scripts ran (charts drawn); raises RuntimeError on failure."""
    partial = pdf.with_name(f".{pdf.name}.partial")
    with tempfile.TemporaryDirectory(prefix="syncmon-chromium-") as profile:
        command = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw", "--virtual-time-budget=15000",
            f"--print-to-pdf={partial}", html.resolve().as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"{Path(chromium).name} did not print {html.name} within {timeout:g} s") from exc
    if done.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{Path(chromium).name} could not print {html.name} (exit {done.returncode}): {tail[0][:200]}")
    os.replace(partial, pdf)
