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
    """A landing file ready for the line splitter.

    `text` is None for a plain, clean UTF-8 file: DuckDB then reads `path` itself, which is
    much faster than handing it the text from Python.
    """

    sha256: str
    size_bytes: int
    text: str | None
    bad_utf8_lines: list[int] = field(default_factory=list)
    cut_last_line: bool = False
    problem: str | None = None
    path: Path | None = None
    line_count: int = 0


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
    return DecodedFile(sha256, len(data), text, bad_lines, cut_last_line, problem, line_count=_count_lines(raw))


def read_landing_file(path: Path) -> DecodedFile:
    data = path.read_bytes()
    if not is_gzip_name(path.name) and data and _is_clean_utf8(data):
        return DecodedFile(hashlib.sha256(data).hexdigest(), len(data), None, path=path, line_count=_count_lines(data))
    return decode_landing_file(path.name, data)


def _count_lines(raw: bytes) -> int:
    return raw.count(b"\n") + (1 if raw and not raw.endswith(b"\n") else 0)


def _is_clean_utf8(data: bytes) -> bool:
    if data.startswith(_BOM.encode()):
        return False
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
