"""A report as an e-mail: an HTML body that needs no JavaScript, a text part, the full HTML and CSVs attached.

The body is written with the report (`email.html`, `email.txt`, `email.json` and chart PNGs in the
report folder), so what is mailed later is exactly what was generated, whatever the snapshot says by then.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from syncmon_pipeline.alerts.channels.common import one_line

from .formatting import format_value
from .model import ReportData
from .render import environment

BODY_FILES = ("email.html", "email.txt", "email.json")


@dataclass(frozen=True)
class ChartImage:
    cid: str
    title: str
    png: bytes


def email_subject(report: ReportData) -> str:
    return one_line(f"[syncmon] {report.title}: {report.period.title}", 200)


def email_text(report: ReportData) -> str:
    lines = [f"{report.title} – {report.period.title}", ""]
    lines += list(report.highlights)
    lines += [""] + [f"{f.label}: {format_value(f.value, f.kind)}" for f in report.summary]
    if report.recommendations:
        lines += ["", "Recommendations:"] + [f"- [{r.severity}] {r.text}" for r in report.recommendations]
    lines += ["", "The full report (report.html) and every table as CSV are attached."]
    return "\n".join(lines) + "\n"


def write_email_body(report: ReportData, folder: Path, *, max_rows: int, images: list[ChartImage]) -> None:
    html = environment().get_template("email.html.j2").render(report=report, max_rows=max_rows, images=images)
    (folder / "email.html").write_text(html, "utf-8")
    (folder / "email.txt").write_text(email_text(report), "utf-8")
    entries = []
    for index, image in enumerate(images):
        name = f"email-chart-{index}.png"
        (folder / name).write_bytes(image.png)
        entries.append({"cid": image.cid, "title": image.title, "file": name})
    (folder / "email.json").write_text(json.dumps({"subject": email_subject(report), "images": entries}, indent=2), "utf-8")


def build_report_email(
    folder: Path,
    attachments: list[Path],
    *,
    mail_from: str,
    recipient: str,
    message_id: str,
    sent_at: datetime,
    report_key: str,
) -> EmailMessage:
    """The MIME message of the report in `folder`: text + HTML (+ inline chart images), files attached."""
    meta = json.loads((folder / "email.json").read_text("utf-8"))
    message = EmailMessage()
    message["Subject"] = meta["subject"]
    message["From"] = mail_from
    message["To"] = recipient
    message["Date"] = format_datetime(sent_at)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
    message["X-Syncmon-Report"] = report_key
    message.set_content((folder / "email.txt").read_text("utf-8"))
    message.add_alternative((folder / "email.html").read_text("utf-8"), subtype="html")
    if meta["images"]:
        html_part = message.get_payload()[1]
        for image in meta["images"]:
            html_part.add_related((folder / image["file"]).read_bytes(), "image", "png", cid=f"<{image['cid']}>")
    for path in attachments:
        maintype, subtype = (mimetypes.guess_type(path.name)[0] or "application/octet-stream").split("/", 1)
        message.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return message


def message_id_for(delivery_id: str) -> str:
    """Derived from the delivery: a receiver or archive can spot a duplicate."""
    return f"<report-{delivery_id}@syncmon>"
