"""The default e-mail transport: no SMTP host set → a real RFC 5322 `.eml` file in `$SYNCMON_HOME/outbox/`.

The file is written under a temporary name and renamed, so a reader never sees half a message; its
name is the notification id, so writing the same notification again replaces it with identical bytes
instead of adding a second copy.
"""

from __future__ import annotations

import os
import tempfile
from email import policy
from email.message import EmailMessage
from pathlib import Path


def eml_path(outbox: Path, notification_id: str) -> Path:
    return outbox / f"{notification_id}.eml"


def write_eml(message: EmailMessage, outbox: Path, notification_id: str) -> Path:
    """Write `message` atomically to `<outbox>/<notification_id>.eml` (CRLF line ends, as on the wire)."""
    outbox.mkdir(parents=True, exist_ok=True)
    target = eml_path(outbox, notification_id)
    data = message.as_bytes(policy=policy.SMTP)
    handle, temporary = tempfile.mkstemp(prefix=f".{notification_id}.", suffix=".tmp", dir=outbox)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
