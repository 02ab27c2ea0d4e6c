"""Message templates: the bundled files, the staff's own (read by ``sheets.templates``), choosing one.

Bundled templates live in ``sheetcrm/templates/<lang>/<channel>/<key>.txt`` (plus
``<key>.subject.txt`` and an optional ``<key>.html`` for email); ``index.toml``
says which tiers/segments/stages each key is for and whether it is marketing.
A staff template (the 消息模板 sheet) with the same key, channel and language wins over the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

from ..book.base import CellValue
from ..channels import channel_key
from ..package_data import package_data

__all__ = [
    "CHANNELS",
    "LANG_NAMES",
    "TEMPLATE_KEYS",
    "TemplateSet",
    "TemplateSource",
    "bundled_templates",
    "normalise_channel",
    "target_labels",
]

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
LANG_NAMES = {"zh": "zh", "中文": "zh", "zh-cn": "zh", "cn": "zh", "en": "en", "英文": "en"}
# WeChat follows the SMS wording when no WeChat text is written for a key.
_CHANNEL_FALLBACK = {"wechat": "sms"}


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


def target_labels(values: Iterable[str]) -> frozenset[str]:
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
            index.targets[key] = target_labels(spec.get("for", ()))
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
