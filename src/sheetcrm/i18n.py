"""Bilingual (zh-CN / English) text: every message and label exists in both.

Strings live beside the code that uses them as ``tr("中文", "English")``;
the language follows ``--lang``, else ``SHEETCRM_LANG``, else the locale.
"""

from __future__ import annotations

import locale
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

__all__ = ["Lang", "current_lang", "detect_lang", "set_lang", "tr", "use_lang"]

Lang = Literal["zh", "en"]

_lang: Lang | None = None


def detect_lang() -> Lang:
    """The language the environment asks for: SHEETCRM_LANG, then the locale; zh if unclear."""
    for value in (
        os.environ.get("SHEETCRM_LANG"),
        os.environ.get("LC_ALL"),
        os.environ.get("LC_MESSAGES"),
        os.environ.get("LANG"),
        (locale.getlocale()[0] or ""),
    ):
        if value:
            low = value.lower()
            if low.startswith("zh"):
                return "zh"
            if low.startswith("en") or low in ("c", "posix", "c.utf-8"):
                return "en"
    return "zh"


def current_lang() -> Lang:
    """The language in force now."""
    return _lang or detect_lang()


def set_lang(lang: Lang | None) -> None:
    """Force a language (None: follow the environment again)."""
    global _lang
    if lang not in (None, "zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', not {lang!r}")
    _lang = lang


@contextmanager
def use_lang(lang: Lang) -> Iterator[None]:
    """Use a language for the duration of a with-block."""
    global _lang
    before = _lang
    set_lang(lang)
    try:
        yield
    finally:
        _lang = before


def tr(zh: str, en: str) -> str:
    """The text in the current language."""
    return zh if current_lang() == "zh" else en
