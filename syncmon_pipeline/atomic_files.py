"""Small files that appear whole or not at all: hidden temporary name, fsync, rename, fsync the folder.

Readers in other processes (the API, the sensors) list these folders while they are written; a
rename is atomic on POSIX, so they see the old file or the new one, never half of one.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path


def fsync_dir(directory: Path) -> None:
    """Persist a rename or unlink itself (POSIX); silently skipped where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes) -> Path:
    """Write `data` to `path` via a hidden `.<stem>.<random>.tmp` beside it; the temporary file never outlives
    an error. The random part lets two processes write the same file at once (last rename wins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path
