"""Bilingual (zh-CN / English) text: every message and label exists in both.

Strings live beside the code that uses them as ``tr("中文", "English")``;
the language follows ``--lang``, else ``SHEETCRM_LANG``, else the locale.

The language in force is a :class:`contextvars.ContextVar`: ``use_lang`` in one thread (or
task) never changes what another one reads. A worker thread starts from the default context,
so work handed to a pool that produces text goes through :func:`in_this_language`.
"""

from __future__ import annotations

import contextvars
import locale
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, ParamSpec, TypeVar

__all__ = [
    "Lang",
    "Text",
    "both",
    "chosen_lang",
    "current_lang",
    "detect_lang",
    "in_this_language",
    "only_lang",
    "set_lang",
    "tr",
    "use_lang",
]

Lang = Literal["zh", "en"]

_P = ParamSpec("_P")
_T = TypeVar("_T")

_lang: contextvars.ContextVar[Lang | None] = contextvars.ContextVar("sheetcrm_lang", default=None)


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


def chosen_lang() -> Lang | None:
    """The language someone chose (``--lang``, ``use_lang``), None when the locale decides."""
    return _lang.get()


def current_lang() -> Lang:
    """The language in force now."""
    return _lang.get() or detect_lang()


def _checked(lang: str | None) -> Lang | None:
    if lang not in (None, "zh", "en"):
        raise ValueError(f"language must be 'zh' or 'en', not {lang!r}")
    return lang  # type: ignore[return-value]  # narrowed by the test above


def set_lang(lang: Lang | None) -> None:
    """Force a language in the current context (None: follow the environment again)."""
    _lang.set(_checked(lang))


@contextmanager
def use_lang(lang: str | None) -> Iterator[None]:
    """Use a language for the duration of a with-block (None: the one in force)."""
    token = _lang.set(_checked(lang) or _lang.get())
    try:
        yield
    finally:
        _lang.reset(token)


@contextmanager
def only_lang(lang: str | None) -> Iterator[None]:
    """Exactly this language for a with-block (None: the environment's), then as before."""
    token = _lang.set(_checked(lang))
    try:
        yield
    finally:
        _lang.reset(token)


def in_this_language(func: Callable[_P, _T]) -> Callable[_P, _T]:
    """``func``, to be called in another thread in the language in force here."""
    lang = current_lang()

    def call(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with use_lang(lang):
            return func(*args, **kwargs)

    return call


def tr(zh: str, en: str) -> str:
    """The text in the current language."""
    return zh if current_lang() == "zh" else en


@dataclass(frozen=True)
class Text:
    """A text in both languages, shown (``str``) in the language in force when it is shown.

    For what the engine says once and two places show: the workbook in its language, the
    console in the language of whoever ran the job.
    """

    zh: str
    en: str

    def __str__(self) -> str:
        return tr(self.zh, self.en)


def both(make: Callable[[], str]) -> Text:
    """The text ``make`` gives (through :func:`tr`) in each language, for showing later."""
    with use_lang("zh"):
        zh = make()
    with use_lang("en"):
        en = make()
    return Text(zh, en)
