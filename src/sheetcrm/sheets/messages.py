"""The 消息 sheet laid out from the messages result; the customer sheet's headers as fields.

Templates may name a customer field by the sheet's own header (``customer['累计金额']``):
``template_fields`` hands those headers to the engine as extra fields, so the engine itself
never reads a header.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from typing import Any

from ..book.base import CustomerTable, SheetSpec
from ..channels import channel_label
from ..i18n import Lang, tr, use_lang
from ..messages import ExtraFields, MessagesResult

__all__ = ["MESSAGES_SHEET", "messages_sheet", "not_sent", "sheet_channels", "template_fields"]

MESSAGES_SHEET = "消息"
_CHANNEL_HEADERS = ("渠道", "Channel")
_WARNING_HEADERS = ("提示", "Warnings")


def not_sent(reason: str) -> str:
    """The 提示 of a row that cannot be sent: marked so nobody sends it, with the reason."""
    return tr("不发送：", "not sent: ") + reason


def sheet_channels(grid: Sequence[Sequence[Any]]) -> list[str] | None:
    """The channel shown for each message of a 消息 sheet read back (rows not sent left out);
    None when the sheet has no channel column."""
    header = [str(v).strip() if v is not None else "" for v in grid[0]] if grid else []
    column = next((i for i, h in enumerate(header) if h in _CHANNEL_HEADERS), None)
    if column is None:
        return None
    warning = next((i for i, h in enumerate(header) if h in _WARNING_HEADERS), None)
    marks = ("不发送：", "not sent: ")
    return [
        str(row[column])
        for row in grid[1:]
        if column < len(row)
        and row[column] not in (None, "")
        and not (warning is not None and warning < len(row) and str(row[warning]).startswith(marks))
    ]


def template_fields(table: CustomerTable) -> ExtraFields:
    """The table's own headers as template fields: a role's header reads the typed value."""
    return ExtraFields(
        aliases={header: role for role, header in table.roles.items()}, columns=table.raw
    )


def messages_sheet(result: MessagesResult, lang: Lang | None = None) -> SheetSpec:
    """The 消息 sheet: one row per message, ready to send, then the ones that cannot be sent
    (labels in lang, else the current one)."""
    with use_lang(lang) if lang else nullcontext():
        return _messages_sheet(result)


def _messages_sheet(result: MessagesResult) -> SheetSpec:
    headers = [
        tr("客户编号", "Customer ID"),
        tr("客户", "Customer"),
        tr("渠道", "Channel"),
        tr("收件人", "To"),
        tr("主题", "Subject"),
        tr("正文", "Body"),
        tr("字数", "Characters"),
        tr("条数", "Parts"),
        tr("模板", "Template"),
        tr("提示", "Warnings"),
        tr("缺失字段", "Missing fields"),
        tr("发送日期", "Send date"),
    ]
    m = result.messages
    labels = {channel: channel_label(channel) for channel in set(m["channel"])}
    parts = m["parts"].astype(object).where(m["parts"].notna(), None)
    rows: list[list[Any]] = [headers]
    for values in zip(
        m["customer_id"],
        m["customer"],
        (labels[c] for c in m["channel"]),
        m["to"],
        m["subject"],
        m["body"],
        m["chars"].tolist(),
        parts.tolist(),
        m["template"],
        m["warnings"],
        m["missing_fields"],
        m["send_date"],
        strict=True,
    ):
        rows.append(list(values))
    # Messages that cannot be sent stay in the sheet, with why (nothing is dropped silently).
    for row in result.skipped.to_dict("records"):
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
                "",
                not_sent(str(row["reason"])),
                "",
                None,
            ]
        )
    return SheetSpec(
        name=MESSAGES_SHEET,
        rows=rows,
        widths={0: 12, 1: 20, 2: 8, 3: 24, 4: 30, 5: 70, 6: 8, 7: 6, 8: 16, 9: 30, 10: 16, 11: 12},
        number_formats={3: "@"},
        tab_color="2E75B6",
    )
