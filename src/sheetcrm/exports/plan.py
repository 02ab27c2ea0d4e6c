"""Exports of the plan: one iCalendar file per rep, and a CSV Excel opens correctly.

The ``.ics`` files follow RFC 5545 (CRLF line ends, lines folded at 75 octets
without splitting a character, text escaped, all-day events, UTF-8), so they
import into Outlook, DingTalk and phone calendars; re-importing updates events
because each UID is the touch id. Only open touches are exported.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from ..i18n import tr
from ..schedule.cadence import channel_label
from ..schedule.plan import PlanResult
from ..schedule.statuses import STATUS_OPEN
from ..sheets.plan import plan_rows
from .safe_text import file_name, printable, write_rows

__all__ = ["fold_line", "ics_escape", "ics_text", "write_csv", "write_ics"]


def ics_escape(text: str) -> str:
    """Text for an iCalendar TEXT value: no control characters; backslash, comma, semicolon and
    newlines escaped."""
    return (
        printable(text)
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")  # a lone CR (old Mac text) is a line break too
    )


def fold_line(line: str) -> str:
    """A content line folded into CRLF-separated pieces of at most 75 octets each."""
    pieces: list[str] = []
    current, size, limit = "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            pieces.append(current)
            current, size, limit = " ", 1, 75  # continuation lines start with one space
        current += char
        size += width
    pieces.append(current)
    return "\r\n".join(pieces) + "\r\n"


def ics_text(touches: pd.DataFrame, calendar_name: str, stamp: dt.datetime) -> str:
    """An iCalendar document with one all-day event per open touch."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//sheetcrm//follow-up plan//ZH",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ics_escape(calendar_name)}",
    ]
    stamp_text = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for rec in touches.to_dict("records"):
        due = rec["due"]
        channel = channel_label(str(rec.get("channel") or ""))
        customer = str(rec.get("customer") or rec.get("customer_id") or "")
        summary = f"{channel} · {customer} · {rec.get('purpose') or ''}".strip(" ·")
        details = [
            tr(
                f"客户：{customer}（{rec.get('customer_id')}）",
                f"Customer: {customer} ({rec.get('customer_id')})",
            ),
            tr(f"联系人：{rec.get('contact') or ''}", f"Contact: {rec.get('contact') or ''}"),
            tr(f"渠道：{channel}", f"Channel: {channel}"),
            tr(f"目的：{rec.get('purpose') or ''}", f"Purpose: {rec.get('purpose') or ''}"),
            tr(f"模板：{rec.get('template') or ''}", f"Template: {rec.get('template') or ''}"),
        ]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{rec['touch_id']}@sheetcrm",
            f"DTSTAMP:{stamp_text}",
            f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
            f"DTEND;VALUE=DATE:{due + dt.timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ics_escape(summary)}",
            f"DESCRIPTION:{ics_escape(chr(10).join(details))}",
            "TRANSP:TRANSPARENT",
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{ics_escape(summary)}",
            "TRIGGER;RELATED=START:PT9H",  # 09:00 on the day of an all-day event
            "END:VALARM",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) for line in lines)


def write_ics(
    touches: pd.DataFrame, folder: Path, *, stamp: dt.datetime | None = None
) -> list[Path]:
    """One .ics calendar per rep with their open touches; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = stamp or dt.datetime.now(dt.UTC)
    due = touches["due"].map(lambda d: isinstance(d, dt.date))
    open_touches = touches[(touches["status"] == STATUS_OPEN) & due.astype(bool)]
    paths: list[Path] = []
    taken: set[str] = set()
    for owner, group in open_touches.groupby(open_touches["owner"].astype(str), sort=True):
        name = owner or tr("未分配", "unassigned")
        path = folder / file_name(f"{tr('跟进', 'followups')}_{name}", ".ics", taken)
        title = tr(f"{name} 的客户跟进", f"{name}'s customer follow-ups")
        path.write_bytes(ics_text(group, title, stamp).encode("utf-8"))
        paths.append(path)
    return paths


def write_csv(touches: pd.DataFrame, path: Path) -> Path:
    """The plan as CSV, UTF-8 with a BOM so Excel shows Chinese correctly; the path."""
    extras = list(touches.attrs.get("extra_columns", []))
    headers, rows = plan_rows(PlanResult(touches, touches.iloc[0:0], [], None, extras))
    return write_rows(
        path,
        headers,
        (
            [value.isoformat() if isinstance(value, dt.date) else value for value in row]
            for row in rows
        ),
    )
