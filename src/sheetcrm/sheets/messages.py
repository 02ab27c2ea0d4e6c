"""The 消息 sheet laid out from the messages result; the customer sheet's headers as fields.

Templates may name a customer field by the sheet's own header (``customer['累计金额']``):
``template_fields`` hands those headers to the engine as extra fields, so the engine itself
never reads a header.

A message is known by its customer, channel and send date. Its 状态 (a drop-down staff or a
platform import fills) and the columns staff add follow it from run to run (:mod:`.carry`);
a message marked 已发送 is not made again (``sent_messages`` tells the engine) and keeps its
row as it was; one no longer due is kept at the bottom, marked 已过期, while staff's notes
or status are in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from typing import Any

import numpy as np
import pandas as pd

from ..book.base import CellValue, ColumnRows, CustomerTable, ListValidation, SheetSpec, blank_cells
from ..channels import channel_key, channel_label
from ..i18n import Lang, tr, use_lang
from ..messages import ExtraFields, MessagesResult
from ..schedule.columns import cell_text
from ..values import parse_date
from .carry import MARK_HEADER, Carried, OurColumns, carry, cell_at, read_staff
from .plain_cells import plain_cells

__all__ = [
    "MESSAGES_SHEET",
    "SENT_STATUS",
    "message_notes",
    "messages_sheet",
    "not_sent",
    "sent_messages",
    "sheet_channels",
    "sheet_not_sent",
    "template_fields",
]

MESSAGES_SHEET = "消息"
# (field, Chinese header, English header) in sheet order.
_COLUMNS = (
    ("customer_id", "客户编号", "Customer ID"),
    ("customer", "客户", "Customer"),
    ("channel", "渠道", "Channel"),
    ("to", "收件人", "To"),
    ("subject", "主题", "Subject"),
    ("body", "正文", "Body"),
    ("chars", "字数", "Characters"),
    ("parts", "条数", "Parts"),
    ("template", "模板", "Template"),
    ("warnings", "提示", "Warnings"),
    ("missing_fields", "缺失字段", "Missing fields"),
    ("send_date", "发送日期", "Send date"),
    ("status", "状态", "Status"),
)
_OURS = OurColumns({name: (zh, en, f"{zh} {en}") for name, zh, en in _COLUMNS})
_STATUS = len(_COLUMNS) - 1
_BODY = [name for name, _, _ in _COLUMNS].index("body")
_MISSING = [name for name, _, _ in _COLUMNS].index("missing_fields")
SENT_STATUS = ("已发送", "sent")
# The send statuses offered in the drop-down: (Chinese, English); only "sent" changes a run.
_STATUSES = (SENT_STATUS, ("发送失败", "failed"), ("暂不发送", "on hold"))
_BODY_WIDTH = 70.0  # characters; longer bodies wrap
_CHANNEL_HEADERS = ("渠道", "Channel")
_WARNING_HEADERS = ("提示", "Warnings")


def _send_day(value: CellValue) -> str:
    """A send date as ISO text ("" when blank or not a date)."""
    try:
        day = parse_date(value)
    except ValueError:
        return cell_text(value)
    return day.isoformat() if day else ""


def _key(fields: Mapping[str, CellValue]) -> tuple[str, str, str] | None:
    """A message's key: customer ID, channel and send date (None without a customer)."""
    customer = cell_text(fields.get("customer_id"))
    if not customer:
        return None
    channel = channel_key(fields.get("channel")) or cell_text(fields.get("channel"))
    return customer, channel, _send_day(fields.get("send_date"))


def _keys(rows: Sequence[Mapping[str, CellValue]]) -> list[tuple[str, str, str] | None]:
    """Each message's key (see :func:`_key`)."""
    return [_key(fields) for fields in rows]


def _is_sent(value: CellValue) -> bool:
    """Whether a status reads as sent, in either language, any case."""
    return cell_text(value).casefold() in {text.casefold() for text in SENT_STATUS}


def message_notes(grid: Sequence[Sequence[CellValue]] | np.ndarray | None) -> Carried:
    """The statuses and columns staff added to the previous 消息 sheet, by message."""
    return read_staff(grid, _OURS, _keys, kept=("status",))


def sent_messages(staff: Carried) -> pd.DataFrame:
    """The messages the previous sheet marks 已发送: customer_id, channel, send_date, to, body."""
    rows = [
        {
            "customer_id": key[0],
            "channel": key[1],
            "send_date": dt.date.fromisoformat(key[2]) if key[2] else None,
            "to": cell_text(row.ours.get("to")),
            "body": str(row.ours.get("body") or ""),
        }
        for (key, _), row in staff.rows.items()
        if isinstance(key, tuple) and len(key) == 3 and _is_sent(row.ours.get("status"))
    ]
    columns = ["customer_id", "channel", "send_date", "to", "body"]
    return pd.DataFrame(rows, columns=columns, dtype=object)


_NOT_SENT = ("不发送：", "not sent: ")  # how 提示 starts on a row that is not sent


def not_sent(reason: str) -> str:
    """The 提示 of a row that cannot be sent: marked so nobody sends it, with the reason."""
    return tr(*_NOT_SENT) + reason


def _read_back(grid: Sequence[Sequence[Any]]) -> list[tuple[str, str | None]] | None:
    """Each row of a 消息 sheet read back as (channel shown, why not sent or None), rows kept
    for staff's notes left out; None when the sheet has no channel column."""
    header = [str(v).strip() if v is not None else "" for v in grid[0]] if grid else []
    column = next((i for i, h in enumerate(header) if h in _CHANNEL_HEADERS), None)
    if column is None:
        return None
    warning = next((i for i, h in enumerate(header) if h in _WARNING_HEADERS), None)
    kept = next((i for i, h in enumerate(header) if h == MARK_HEADER), None)
    rows: list[tuple[str, str | None]] = []
    for row in grid[1:]:
        if column >= len(row) or row[column] in (None, ""):
            continue
        if kept is not None and cell_at(row, kept) not in (None, ""):
            continue
        note = str(cell_at(row, warning) or "") if warning is not None else ""
        mark = next((m for m in _NOT_SENT if note.startswith(m)), None)
        rows.append((str(row[column]), note[len(mark) :] if mark is not None else None))
    return rows


def sheet_channels(grid: Sequence[Sequence[Any]]) -> list[str] | None:
    """The channel shown for each message of a 消息 sheet read back (rows not sent, and rows
    kept for staff's notes, left out); None when the sheet has no channel column."""
    rows = _read_back(grid)
    return None if rows is None else [channel for channel, why in rows if why is None]


def sheet_not_sent(grid: Sequence[Sequence[Any]]) -> list[str]:
    """Why each row of a 消息 sheet read back is not sent (its 提示 after "不发送：")."""
    return [why for _, why in _read_back(grid) or () if why is not None]


def template_fields(table: CustomerTable) -> ExtraFields:
    """The table's own headers as template fields: a role's header reads the typed value."""
    return ExtraFields(
        aliases={header: role for role, header in table.roles.items()}, columns=table.raw
    )


def messages_sheet(
    result: MessagesResult, lang: Lang | None = None, staff: Carried | None = None
) -> SheetSpec:
    """The 消息 sheet: one row per message, ready to send, then the ones that cannot be sent
    (labels in lang, else the current one); ``staff`` (:func:`message_notes`) carried over."""
    with use_lang(lang) if lang else nullcontext():
        return _messages_sheet(result, staff)


def _messages_sheet(result: MessagesResult, staff: Carried | None) -> SheetSpec:
    headers: list[CellValue] = [tr(zh, en) for _, zh, en in _COLUMNS]
    columns = _message_columns(result.messages)
    # Messages that cannot be sent stay in the sheet, with why (nothing is dropped silently).
    skipped = _skipped_rows(result.skipped)
    rows: Sequence[Sequence[CellValue]] = ColumnRows([headers], columns, skipped)
    if staff is not None and not staff.empty:
        made = list(ColumnRows([headers], columns))
        rows = carry([*made, *_sent_before(staff, made), *skipped], staff)
    return SheetSpec(
        name=MESSAGES_SHEET,
        rows=rows,
        widths={0: 12, 1: 20, 2: 8, 3: 24, 4: 30, _BODY: _BODY_WIDTH, 6: 8, 7: 6, 8: 16, 9: 30}
        | {10: 16, 11: 12, _STATUS: 10},
        number_formats={3: "@"},
        wrap=[_BODY],
        validations=[ListValidation(_STATUS, [tr(zh, en) for zh, en in _STATUSES])],
        tab_color="2E75B6",
    )


def _message_columns(m: pd.DataFrame) -> list[np.ndarray]:
    """The columns of the messages made, in sheet order."""
    codes, channels = pd.factorize(m["channel"], use_na_sentinel=False)
    labels = np.array([channel_label(c) for c in channels], dtype=object)
    blank = blank_cells(len(m))
    columns = [plain_cells(m[name]) for name in ("customer_id", "customer")]
    columns.append(labels[codes])
    columns += [plain_cells(m[name]) for name in ("to", "subject", "body", "chars", "parts")]
    columns += [plain_cells(m[name]) for name in ("template", "warnings")]
    # 缺失字段 stays blank: a text with a field printed blank is not sent (listed below).
    return [*columns, blank, plain_cells(m["send_date"]), blank]


def _skipped_rows(skipped: pd.DataFrame) -> list[list[CellValue]]:
    """The messages that cannot be sent, each with why."""
    rows: list[list[CellValue]] = []
    for row in skipped.to_dict("records"):
        body = str(row.get("body") or "")
        label = channel_label(row["channel"]) if row["channel"] else ""
        rows.append(
            [
                row["customer_id"],
                row["customer"],
                label,
                row.get("to") or "",
                "",
                body,
                len(body) if body else None,
                None,
                row.get("template") or "",
                not_sent(str(row["reason"])),
                row.get("missing_fields") or "",
                None,
                None,
            ]
        )
    return rows


def _fields(row: Sequence[CellValue]) -> dict[str, CellValue]:
    """One row of ours by field."""
    return {name: row[at] if at < len(row) else None for at, (name, _, _) in enumerate(_COLUMNS)}


def _sent_before(staff: Carried, rows: Sequence[Sequence[CellValue]]) -> list[list[CellValue]]:
    """The previous sheet's sent messages this run did not make again, as they were."""
    made = {_key(_fields(row)) for row in rows[1:]}
    kept: list[list[CellValue]] = []
    for (key, _), row in staff.rows.items():
        is_message = isinstance(key, tuple) and len(key) == 3
        if is_message and _is_sent(row.ours.get("status")) and key not in made:
            kept.append([row.ours.get(name) for name, _, _ in _COLUMNS])
    return kept
