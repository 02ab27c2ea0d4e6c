"""Render limits for staff templates: no template hangs a run or exhausts memory.

Staff edit the templates, so a typo or a paste may ask for ``10**(10**10)``, ``'x'*10**10`` or
loops nested over ``range(99999)``. The sandbox refuses, before computing them, integer powers
and products beyond :data:`MAX_INT_BITS`, texts and lists beyond :data:`MAX_CHARS`, ranges
beyond :data:`MAX_RANGE`; every loop step and call is counted against a budget of
:data:`MESSAGE_STEPS` and :data:`MESSAGE_SECONDS` per message, and rendering time and output
against :data:`RUN_SECONDS` and :data:`RUN_CHARS` per run. Going beyond raises
:class:`RenderLimitError`, which names the limit in the chosen language.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import nodes

from ..errors import SheetCRMError
from ..i18n import tr

__all__ = [
    "GROWING_FILTERS",
    "MAX_CHARS",
    "MAX_INT_BITS",
    "MAX_RANGE",
    "MESSAGE_SECONDS",
    "MESSAGE_STEPS",
    "RUN_CHARS",
    "RUN_SECONDS",
    "RenderLimitError",
    "binop",
    "budget",
    "checked_call",
    "checked_filter",
    "counted",
    "limited_range",
    "sized_text",
    "with_counters",
]

MAX_INT_BITS = 4096  # an integer result: 1,233 decimal digits
MAX_CHARS = 100_000  # a text or list a template builds, and one message's output
MAX_RANGE = 10_000  # range() in a template
# Built-in filters whose output may outgrow their input: checked before and after.
GROWING_FILTERS = ("center", "format", "indent", "join", "replace", "truncate", "wordwrap", "batch")
MESSAGE_STEPS = 1_000_000  # loop steps and calls while rendering one message
MESSAGE_SECONDS = 2.0
RUN_SECONDS = 600.0  # templates rendered by jinja in one run, all messages together
RUN_CHARS = 500_000_000
_BIG_WIDTH = re.compile(r"\d{6,}")  # a width or precision in a format string: 100000 and up
_SIZED = (str, list, tuple)


class RenderLimitError(SheetCRMError):
    """A template asked for more than a render limit allows (the job names the template)."""


class _Budget(threading.local):
    """Steps and time of the message being rendered, time and output of the run (per thread)."""

    def __init__(self) -> None:
        self.steps = 0
        self.started = 0.0
        self.run_seconds = 0.0
        self.run_chars = 0

    def new_run(self) -> None:
        """Start a run's totals afresh."""
        self.run_seconds, self.run_chars = 0.0, 0

    def start(self) -> None:
        """Start one message's budget."""
        self.steps, self.started = 0, time.monotonic()

    def step(self) -> None:
        """Count one loop step or call; refuse when the message's budget is spent."""
        self.steps += 1
        if self.steps > MESSAGE_STEPS:
            raise RenderLimitError(
                tr(
                    f"一条消息的循环与调用超过 {MESSAGE_STEPS:,} 步",
                    f"more than {MESSAGE_STEPS:,} loop steps and calls for one message",
                )
            )
        if self.steps % 64 == 0 and time.monotonic() - self.started > MESSAGE_SECONDS:
            raise RenderLimitError(
                tr(
                    f"一条消息渲染超过 {MESSAGE_SECONDS:g} 秒",
                    f"rendering one message took more than {MESSAGE_SECONDS:g} s",
                )
            )

    def finish(self, chars: int) -> None:
        """Account one rendered message; refuse output or run time beyond the limits."""
        self.run_seconds += time.monotonic() - self.started
        self.run_chars += chars
        if chars > MAX_CHARS:
            raise RenderLimitError(
                tr(
                    f"一条消息超过 {MAX_CHARS:,} 字",
                    f"one message is longer than {MAX_CHARS:,} characters",
                )
            )
        if self.run_seconds > RUN_SECONDS or self.run_chars > RUN_CHARS:
            raise RenderLimitError(
                tr(
                    f"本次运行的模板渲染超过 {RUN_SECONDS:g} 秒或 {RUN_CHARS:,} 字",
                    f"this run's templates took more than {RUN_SECONDS:g} s "
                    f"or {RUN_CHARS:,} characters",
                )
            )


budget = _Budget()


def _too_long(size: int) -> RenderLimitError:
    return RenderLimitError(
        tr(
            f"模板生成的文字或列表超过 {MAX_CHARS:,} 个（现为 {size:,}）",
            f"a text or list longer than {MAX_CHARS:,} ({size:,})",
        )
    )


def _too_big() -> RenderLimitError:
    return RenderLimitError(
        tr(
            f"整数运算结果超过 {MAX_INT_BITS} 位二进制",
            f"an integer result larger than {MAX_INT_BITS} bits",
        )
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int)


def _bits(value: int) -> int:
    return abs(int(value)).bit_length()


def binop(operator: str, left: Any, right: Any) -> None:
    """Refuse a ``**``, ``*``, ``+`` or ``%`` whose result would exceed a limit (not computed)."""
    if operator == "**" and _is_int(left) and _is_int(right) and right > 0:
        if _bits(left) > 1 and (_bits(left) - 1) * right > MAX_INT_BITS:
            raise _too_big()
    elif operator == "*":
        if _is_int(left) and _is_int(right):
            if _bits(left) + _bits(right) > MAX_INT_BITS:
                raise _too_big()
        elif (isinstance(left, _SIZED) and _is_int(right)) or (
            isinstance(right, _SIZED) and _is_int(left)
        ):
            sized, times = (left, right) if isinstance(left, _SIZED) else (right, left)
            if len(sized) * times > MAX_CHARS:
                raise _too_long(len(sized) * times)
    elif operator == "+" and isinstance(left, _SIZED) and isinstance(right, _SIZED):
        if len(left) + len(right) > MAX_CHARS:
            raise _too_long(len(left) + len(right))
    elif operator == "%" and isinstance(left, str):
        _check_arguments((left, *(right if isinstance(right, tuple) else (right,))))


def _check_arguments(args: Iterable[Any]) -> None:
    """Refuse an argument that asks for a size beyond the limits: a count, width or long text."""
    for value in args:
        if _is_int(value) and value > MAX_CHARS:
            raise _too_long(int(value))
        if isinstance(value, str) and (len(value) > MAX_CHARS or _BIG_WIDTH.search(value)):
            raise _too_long(len(value) if len(value) > MAX_CHARS else MAX_CHARS + 1)


def checked_call(obj: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Count a call; refuse a text method asked for a size beyond the limits (ljust, format…)."""
    budget.step()
    method = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    if isinstance(getattr(method, "__self__", None), str):
        _check_arguments((method.__self__, *args, *kwargs.values()))


def _amplified(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    """The size a multiplying filter would make (join, replace, indent), 0 for others."""
    value = args[0] if args else ""
    more = [*args[1:], *kwargs.values()]
    if name == "format" and isinstance(value, str) and _BIG_WIDTH.search(value):
        return MAX_CHARS + 1
    if name == "join" and isinstance(value, list):
        separator = more[0] if more and isinstance(more[0], str) else ""
        texts = sum(len(item) for item in value if isinstance(item, str))
        return len(value) * len(separator) + texts
    if name == "replace" and isinstance(value, str) and len(more) >= 2:
        old, new = str(more[0]), str(more[1])
        return (value.count(old) + 1 if old else len(value) + 1) * len(new)
    if name == "indent" and isinstance(value, str) and more:
        width = more[0]
        return (value.count("\n") + 1) * (len(width) if isinstance(width, str) else int(width))
    return 0


def checked_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """A built-in filter that refuses sizes beyond the limits, before and after it runs."""

    def checked(*args: Any, **kwargs: Any) -> Any:
        plain = [a for a in args if not hasattr(a, "environment")]  # the context passed in
        if name == "join" and plain and not isinstance(plain[0], list):
            # Items counted before joining: a range or generator becomes the list it yields.
            plain[0] = list(counted(plain[0]))
            args = (*args[: len(args) - len(plain)], *plain)
        _check_arguments([a for a in (*plain[1:], *kwargs.values()) if not isinstance(a, _SIZED)])
        size = _amplified(name, tuple(plain), kwargs)
        if size > MAX_CHARS:
            raise _too_long(size)
        result = func(*args, **kwargs)
        if isinstance(result, _SIZED) and len(result) > MAX_CHARS:
            raise _too_long(len(result))
        return result

    return functools.update_wrapper(checked, func)


def counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """A loop's items, each step counted against the message's budget."""
    for item in iterable:
        budget.step()
        yield item


def limited_range(*args: int) -> range:
    """range() for templates, at most MAX_RANGE numbers."""
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise RenderLimitError(
            tr(
                f"range() 最多 {MAX_RANGE:,} 个数（现为 {len(numbers):,}）",
                f"range() of more than {MAX_RANGE:,} numbers ({len(numbers):,})",
            )
        )
    return numbers


def sized_text(text: str) -> str:
    """A joined text (``a ~ b``) within MAX_CHARS."""
    if len(text) > MAX_CHARS:
        raise _too_long(len(text))
    return text


def with_counters(tree: nodes.Template) -> nodes.Template:
    """The syntax tree with every loop's items counted and every ``~`` join size-checked."""
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(loop.iter, "_counted", [], [], None, None, lineno=loop.lineno)
    for parent in list(tree.find_all(nodes.Node)):
        for name, value in parent.iter_fields():
            if isinstance(value, nodes.Concat):
                setattr(parent, name, _sized(value))
            elif isinstance(value, list):
                value[:] = [_sized(v) if isinstance(v, nodes.Concat) else v for v in value]
    return tree


def _sized(node: nodes.Concat) -> nodes.Filter:
    return nodes.Filter(node, "_sized", [], [], None, None, lineno=node.lineno)
