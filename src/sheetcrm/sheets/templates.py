"""The 消息模板 sheet: staff's own message templates, read back, and the empty sheet to fill in.

Layout only: the templates themselves (choosing one, the bundled files) are
:mod:`sheetcrm.messages.templates`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..a1 import cell_ref
from ..book.base import CellValue, SheetSpec
from ..errors import SettingsError
from ..i18n import tr
from ..messages.templates import (
    CHANNELS,
    LANG_NAMES,
    TemplateSource,
    normalise_channel,
    target_labels,
)
from ..values import parse_bool

__all__ = ["TEMPLATES_SHEET", "parse_templates_sheet", "templates_sheet_spec"]

TEMPLATES_SHEET = "消息模板"
_SHEET_COLUMNS = (
    ("key", "模板键 Key"),
    ("channel", "渠道 Channel"),
    ("lang", "语言 Language"),
    ("for", "适用等级/分群/阶段 For tiers/segments/stages"),
    ("subject", "主题 Subject"),
    ("body", "正文 Body"),
    ("marketing", "营销 Marketing"),
    ("html", "HTML 正文 HTML body"),
)
_SPLIT = re.compile(r"[,，;；、\s]+")


def _cell_text(value: CellValue) -> str:
    return "" if value is None else str(value).strip()


def parse_templates_sheet(grid: Sequence[Sequence[CellValue]], sheet: str) -> list[TemplateSource]:
    """The staff's templates from the 消息模板 sheet (columns by position, help lines skipped)."""
    keys = [key for key, _ in _SHEET_COLUMNS]
    out: list[TemplateSource] = []
    header_seen = False
    for number, raw in enumerate(grid, start=1):
        values = dict(zip(keys, [_cell_text(v) for v in raw], strict=False))
        first = values.get("key", "")
        if not any(values.values()) or first.startswith(("ℹ", "#")):
            continue
        if not header_seen:
            header_seen = True
            continue

        def fail(column: str, message: str, row: int = number) -> SettingsError:
            return SettingsError(message, sheet=sheet, cell=cell_ref(row, keys.index(column) + 1))

        if not first or not re.fullmatch(r"[\w\-]+", first):
            raise fail(
                "key",
                tr(
                    f"模板键「{first}」无效：请用字母、数字或下划线，例如 winback",
                    f"template key '{first}' is not valid: use letters, digits or _, e.g. winback",
                ),
            )
        channel = normalise_channel(values.get("channel"))
        if channel not in CHANNELS:
            raise fail(
                "channel",
                tr(
                    f"渠道「{values.get('channel', '')}」无效：请写 sms、email、wechat 或 phone",
                    f"channel '{values.get('channel', '')}' is not valid: write sms, email, wechat or phone",
                ),
            )
        lang = LANG_NAMES.get(values.get("lang", "").lower(), "")
        if not lang:
            raise fail(
                "lang",
                tr(
                    f"语言「{values.get('lang', '')}」无效：请写 zh 或 en",
                    f"language '{values.get('lang', '')}' is not valid: write zh or en",
                ),
            )
        body = str(raw[keys.index("body")]) if len(raw) > keys.index("body") else ""
        if not body.strip():
            raise fail("body", tr("正文不能为空", "the body is empty; write the message text"))
        if channel == "email" and not values.get("subject"):
            raise fail("subject", tr("邮件模板需要主题", "an email template needs a subject"))
        marketing: bool | None = None
        if values.get("marketing"):
            try:
                marketing = parse_bool(values["marketing"])
            except ValueError as exc:
                raise fail("marketing", str(exc)) from None
        out.append(
            TemplateSource(
                key=first,
                channel=channel,
                lang=lang,
                body=body.strip("\n"),
                subject=values.get("subject", ""),
                html=values.get("html", ""),
                targets=target_labels(_SPLIT.split(values.get("for", ""))),
                marketing=marketing,
                origin=f"{sheet}!A{number}",
                from_sheet=True,
            )
        )
    return out


def templates_sheet_spec() -> SheetSpec:
    """An empty 消息模板 sheet: a help line and the headers staff fill in."""
    help_line = tr(
        "ℹ 在此添加或覆盖消息模板：同一模板键+渠道+语言的行优先于内置模板。字段写法 {{ customer.contact }}、"
        "{{ customer['累计金额'] | money }}；适用列可写等级/分群/阶段（逗号分隔，留空=全部）。",
        "ℹ Add or override message templates here: a row with the same key + channel + language wins "
        "over the bundled one. Fields: {{ customer.contact }}, {{ customer['Total Spent'] | money }}; "
        "'For' lists tiers/segments/stages (comma separated, blank = everyone).",
    )
    return SheetSpec(
        name=TEMPLATES_SHEET,
        rows=[[help_line], [label for _, label in _SHEET_COLUMNS]],
        header_rows=2,
        widths={0: 18, 1: 10, 2: 8, 3: 28, 4: 30, 5: 80, 6: 10, 7: 40},
        freeze="A3",
        bold_cells=[(1, col) for col in range(len(_SHEET_COLUMNS))],
        tab_color="7030A0",
    )
