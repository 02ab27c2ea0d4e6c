"""Messages out of sheetcrm: .eml files or an .mbox, a bulk-SMS CSV, a preview.

Nothing is sent: the files are for the team's own mail client and SMS platform.
"""

from __future__ import annotations

import datetime as dt
import mailbox
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

import pandas as pd

from ..channels import channel_label
from ..i18n import tr
from ..messages.composing import MessagesResult
from .safe_text import file_name, printable, write_rows

__all__ = [
    "email_message",
    "export_all",
    "preview",
    "write_eml",
    "write_mbox",
    "write_sms_csv",
]


def _one_line(text: str) -> str:
    """Header text on one line (a line break in a header would start a new header)."""
    return " ".join(printable(str(text), one_line=True).split())


def _send_time(day: Any) -> dt.datetime:
    """A message's Date: its planned send date at 09:00 China time (now when it has none)."""
    if isinstance(day, dt.date):
        return dt.datetime.combine(day, dt.time(9), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    now: dt.datetime = pd.Timestamp.now(tz="Asia/Shanghai").to_pydatetime()
    return now


def email_message(row: Any, sender: str) -> EmailMessage:
    """One email as a MIME message: UTF-8, plain text plus the HTML body when there is one."""
    msg = EmailMessage()
    name, address = parseaddr(sender)
    msg["From"] = Address(display_name=_one_line(name), addr_spec=address)
    msg["To"] = Address(display_name=_one_line(row["customer"]), addr_spec=row["to"])
    msg["Subject"] = _one_line(row["subject"])
    msg["Date"] = format_datetime(_send_time(row.get("send_date")))
    msg["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or None)
    # Outlook opens a message with this header as a draft, ready to send.
    msg["X-Unsent"] = "1"
    msg.set_content(printable(row["body"]), charset="utf-8")
    if row.get("html"):
        msg.add_alternative(printable(row["html"]), subtype="html", charset="utf-8")
    return msg


def _emails(messages: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = messages[messages["channel"] == "email"].to_dict("records")
    return records


def write_eml(messages: pd.DataFrame, folder: Path, sender: str) -> list[Path]:
    """One .eml file per email message, named by number and customer; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, row in enumerate(_emails(messages), start=1):
        # The number keeps the names apart: no collision to number.
        safe = file_name(str(row["customer"]), ".eml", set(), fallback="customer")
        path = folder / f"{number:05d}_{safe}"
        path.write_bytes(email_message(row, sender).as_bytes())
        paths.append(path)
    return paths


def write_mbox(messages: pd.DataFrame, path: Path, sender: str) -> Path:
    """Every email message in one .mbox file (Thunderbird imports it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    box = mailbox.mbox(path)
    try:
        for row in _emails(messages):
            box.add(email_message(row, sender))
        box.flush()
    finally:
        box.close()
    return path


def write_sms_csv(messages: pd.DataFrame, path: Path) -> Path:
    """The SMS messages as a UTF-8 (BOM) CSV of mobile, content, as bulk-SMS platforms import."""
    sms = messages[messages["channel"] == "sms"]
    headers = [tr("手机号码", "mobile"), tr("短信内容", "content"), tr("发送日期", "send date")]
    dates = [day.isoformat() for day in sms["send_date"]]
    return write_rows(path, headers, zip(sms["to"], sms["body"], dates, strict=True))


def export_all(result: MessagesResult, folder: Path) -> list[Path]:
    """Write the .eml files (under emails/) and sms.csv into a folder; returns what was written."""
    written: list[Path] = []
    if (result.messages["channel"] == "email").any():
        written += write_eml(result.messages, folder / "emails", result.sender)
    if (result.messages["channel"] == "sms").any():
        written.append(write_sms_csv(result.messages, folder / "sms.csv"))
    return written


def preview(messages: pd.DataFrame, n: int) -> str:
    """The first n messages as text for the terminal (no control characters reach it)."""
    blocks: list[str] = []
    for row in messages.head(n).to_dict("records"):
        head = f"— {row['customer']} · {channel_label(row['channel'])} → {row['to']}"
        lines: Sequence[str] = [printable(head, one_line=True)]
        if row["subject"]:
            subject = printable(str(row["subject"]), one_line=True)
            lines = [*lines, tr("主题：", "Subject: ") + subject]
        lines = [*lines, printable(str(row["body"]))]
        if row["channel"] == "sms":
            lines = [
                *lines,
                tr(
                    f"（{row['chars']} 字，{row['parts']} 条）",
                    f"({row['chars']} chars, {row['parts']} part(s))",
                ),
            ]
        if row["warnings"]:
            lines = [*lines, "! " + printable(str(row["warnings"]))]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
