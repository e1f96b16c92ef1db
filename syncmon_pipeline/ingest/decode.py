"""Reading one landing file into text a line splitter can trust.

Decoding problems never lose a line: a file that is not UTF-8 is decoded line
by line and the bad lines are named; a truncated gzip keeps every complete
line and names the one that was cut.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

_BOM = "\ufeff"


@dataclass(frozen=True)
class DecodedFile:
    sha256: str
    size_bytes: int
    text: str
    bad_utf8_lines: list[int] = field(default_factory=list)
    cut_last_line: bool = False
    problem: str | None = None


def is_gzip_name(name: str) -> bool:
    return name.endswith(".gz")


def _gunzip(data: bytes) -> tuple[bytes, str | None]:
    """Decompress every gzip member; on truncation or corruption keep what came out before it."""
    out: list[bytes] = []
    while data:
        inflater = zlib.decompressobj(wbits=31)
        try:
            out.append(inflater.decompress(data))
        except zlib.error as exc:
            return b"".join(out), f"corrupt gzip data: {exc}"
        if not inflater.eof:
            out.append(inflater.flush())
            return b"".join(out), "truncated gzip: the file ends before the compressed stream does"
        data = inflater.unused_data
    return b"".join(out), None


def _decode_lines(raw: bytes) -> tuple[str, list[int]]:
    """UTF-8 text of `raw`; lines that are not valid UTF-8 are decoded with replacement and listed."""
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    bad: list[int] = []
    lines: list[str] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("utf-8", errors="replace"))
            bad.append(number)
    return "\n".join(lines), bad


def decode_landing_file(name: str, data: bytes) -> DecodedFile:
    """Turn the bytes of landing file `name` into text plus the problems found on the way."""
    sha256 = hashlib.sha256(data).hexdigest()
    problem = None
    cut_last_line = False
    raw = data
    if is_gzip_name(name):
        raw, problem = _gunzip(data)
        cut_last_line = problem is not None and bool(raw) and not raw.endswith(b"\n")
    if not data:
        problem = "empty file"
    elif not raw and problem is None:
        problem = "empty file (after decompression)"
    text, bad_lines = _decode_lines(raw)
    if text.startswith(_BOM):
        text = text[1:]
    return DecodedFile(sha256, len(data), text, bad_lines, cut_last_line, problem)


def read_landing_file(path: Path) -> DecodedFile:
    return decode_landing_file(path.name, path.read_bytes())
