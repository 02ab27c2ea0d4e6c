"""Message templates: the bundled files, the workbook's 消息模板 sheet, and choosing one.

Bundled templates live in ``sheetcrm/templates/<lang>/<channel>/<key>.txt`` (plus
``<key>.subject.txt`` and an optional ``<key>.html`` for email); ``index.toml``
says which tiers/segments/stages each key is for and whether it is marketing.
A row in the 消息模板 sheet with the same key, channel and language wins over the file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..a1 import cell_ref
from ..book.base import CellValue, SheetSpec
from ..channels import channel_key
from ..errors import SettingsError
from ..i18n import tr
from ..package_data import package_data
from ..values import parse_bool

__all__ = [
    "CHANNELS",
    "TEMPLATES_SHEET",
    "TEMPLATE_KEYS",
    "TemplateSet",
    "TemplateSource",
    "bundled_templates",
    "normalise_channel",
    "parse_templates_sheet",
    "templates_sheet_spec",
]

TEMPLATES_SHEET = "消息模板"
TEMPLATE_KEYS = (
    "welcome",
    "revisit",
    "upgrade_thanks",
    "winback",
    "loyalty_offer",
    "holiday_greeting",
    "onboarding_call",
    "onboarding_email",
)
CHANNELS = ("sms", "email", "wechat", "phone")
_LANG_NAMES = {"zh": "zh", "中文": "zh", "zh-cn": "zh", "cn": "zh", "en": "en", "英文": "en"}
# WeChat follows the SMS wording when no WeChat text is written for a key.
_CHANNEL_FALLBACK = {"wechat": "sms"}
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


@dataclass(frozen=True)
class TemplateSource:
    """One template's text and who it is for, before compiling."""

    key: str
    channel: str
    lang: str
    body: str
    subject: str = ""
    html: str = ""
    targets: frozenset[str] = frozenset()  # casefolded tier/segment/stage labels; empty = all
    marketing: bool | None = None  # None: the [sms] block's default
    origin: str = ""  # file path or sheet cell, for error messages
    from_sheet: bool = False

    @property
    def name(self) -> str:
        """How a person refers to this template: key/channel/lang and where it came from."""
        return f"{self.key}/{self.channel}/{self.lang} ({self.origin})"


def normalise_channel(value: CellValue) -> str:
    """A channel code (sms, email, wechat, phone, visit) from a code or its Chinese name; '' if unknown."""
    return channel_key(value) or ""


def _labels(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v and v.strip())


@dataclass
class _Index:
    order: tuple[str, ...]
    targets: dict[str, frozenset[str]] = field(default_factory=dict)
    marketing: dict[str, bool] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _index() -> _Index:
    root = package_data("templates")
    data = tomllib.loads((root / "index.toml").read_text("utf-8"))
    index = _Index(order=tuple(data.get("selection_order", ())))
    for key, spec in data.items():
        if isinstance(spec, dict):
            index.targets[key] = _labels(spec.get("for", ()))
            index.marketing[key] = bool(spec.get("marketing", False))
    return index


@lru_cache(maxsize=1)
def bundled_templates() -> tuple[TemplateSource, ...]:
    """Every template shipped with sheetcrm."""
    root = package_data("templates")
    index = _index()
    found: list[TemplateSource] = []
    for lang_dir in sorted(root.iterdir(), key=lambda p: p.name):
        if not lang_dir.is_dir() or lang_dir.name not in ("zh", "en"):
            continue
        for channel_dir in sorted(lang_dir.iterdir(), key=lambda p: p.name):
            if channel_dir.name not in CHANNELS:
                continue
            for path in sorted(channel_dir.iterdir(), key=lambda p: p.name):
                name = path.name
                if not name.endswith(".txt") or name.endswith(".subject.txt"):
                    continue
                key = name.removesuffix(".txt")
                subject = channel_dir / f"{key}.subject.txt"
                html = channel_dir / f"{key}.html"
                found.append(
                    TemplateSource(
                        key=key,
                        channel=channel_dir.name,
                        lang=lang_dir.name,
                        body=path.read_text("utf-8").strip("\n"),
                        subject=subject.read_text("utf-8").strip() if subject.is_file() else "",
                        html=html.read_text("utf-8") if html.is_file() else "",
                        targets=index.targets.get(key, frozenset()),
                        marketing=index.marketing.get(key, False),
                        origin=f"templates/{lang_dir.name}/{channel_dir.name}/{name}",
                    )
                )
    return tuple(found)


class TemplateSet:
    """The templates in force: bundled files, overridden and extended by the sheet."""

    def __init__(self, sheet: Sequence[TemplateSource] = ()) -> None:
        self._by: dict[tuple[str, str, str], TemplateSource] = {
            (t.key, t.channel, t.lang): t for t in bundled_templates()
        }
        index = _index()
        sheet_auto: list[str] = []
        for source in sheet:
            bundled = self._by.get((source.key, source.channel, source.lang))
            if bundled and not source.targets:
                source = replace(source, targets=bundled.targets)
            self._by[(source.key, source.channel, source.lang)] = source
            if source.targets and source.key not in index.order and source.key not in sheet_auto:
                sheet_auto.append(source.key)
        # Staff's own targeted keys are tried before the bundled order.
        self.order: tuple[str, ...] = (*sheet_auto, *index.order)

    def sources(self) -> list[TemplateSource]:
        """Every template in force."""
        return list(self._by.values())

    def get(self, key: str, channel: str, lang: str) -> TemplateSource | None:
        """The template for a key, channel and language (WeChat falls back to the SMS text)."""
        found = self._by.get((key, channel, lang))
        if found is None and channel in _CHANNEL_FALLBACK:
            found = self._by.get((key, _CHANNEL_FALLBACK[channel], lang))
        return found

    def choose(self, labels: frozenset[str], channel: str, lang: str) -> TemplateSource | None:
        """The first template in selection order whose targets match one of the labels."""
        for key in self.order:
            source = self.get(key, channel, lang)
            if source is not None and (not source.targets or source.targets & labels):
                return source
        return None


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
        lang = _LANG_NAMES.get(values.get("lang", "").lower(), "")
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
                targets=_labels(_SPLIT.split(values.get("for", ""))),
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
