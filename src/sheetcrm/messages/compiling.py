"""Compile message templates in jinja2's sandbox and check them before any row is rendered.

Templates run in jinja2's ``SandboxedEnvironment``; customer values are data and are
never evaluated. Every template is compiled once and checked up front: a field that is
neither a known field (role, result column, derived or extra field) nor a context name is
a TemplateError naming the template and the field. Fields that are blank for a row render
empty (or their ``| default(...)``) and are listed in that row's ``missing_fields``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, cast

from jinja2 import Template, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, new_context
from jinja2.sandbox import SandboxedEnvironment

from ..contacts import mask_phone
from ..errors import TemplateError
from ..i18n import tr
from . import filters, limits
from .fast import RowRenderer, row_renderer
from .templates import TemplateSource

__all__ = ["Compiled", "compile_template", "environment"]

_CONTEXT_NAMES = frozenset({"customer", "company", "signature", "sender", "as_of", "touch", "lang"})
# Subject and body are rendered in one pass, split on a character no template contains.
_SEP = "\x1e"


class _Recorder(Undefined):
    """A blank field: prints as nothing and notes its name so the row lists it as missing."""

    # Each text environment gets its own list. HTML bodies are not listed (as before), so
    # their environments keep none: a list nobody reads would only grow.
    seen: ClassVar[list[str] | None] = None

    def __str__(self) -> str:
        if self._undefined_exception is SecurityError:
            self._fail_with_undefined_error()  # the sandbox refused an attribute
        if self._undefined_name is not None and self.seen is not None:
            self.seen.append(self._undefined_name)
        return ""


def _filter_undefined(value: Any) -> str | None:
    """A blank field as it prints (noting it as missing), None for a value."""
    return str(value) if isinstance(value, Undefined) else None


def _blank_safe(func: Callable[..., str]) -> Callable[..., str]:
    """A filter that prints a blank field as the field itself prints, else formats the value."""

    def safe(value: Any, *args: Any, **kwargs: Any) -> str:
        blank = _filter_undefined(value)
        return blank if blank is not None else func(value, *args, **kwargs)

    return safe


class _Sandbox(SandboxedEnvironment):
    """The jinja2 sandbox, with customer fields (dict items, plain data) looked up first, and
    sizes, steps and time within :mod:`.limits`."""

    intercepted_binops = frozenset({"**", "*", "+", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        limits.binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        limits.checked_call(__obj, args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache(maxsize=8)
def environment(lang: str, html: bool) -> SandboxedEnvironment:
    """The sandbox for one language, text or HTML, with sheetcrm's filters (blank-safe)."""
    recorder = type("Recorder", (_Recorder,), {"seen": None if html else []})
    env = _Sandbox(
        autoescape=html, undefined=recorder, keep_trailing_newline=False, auto_reload=False
    )

    def salutation(value: Any, title: Any = None) -> str:
        if isinstance(title, Undefined):
            title = None
        blank = _filter_undefined(value)
        return filters.salutation(None if blank is not None else value, title, lang)

    env.filters.update(
        {name: limits.checked_filter(name, env.filters[name]) for name in limits.GROWING_FILTERS}
    )
    env.globals["range"] = limits.limited_range
    env.filters.update(
        _counted=limits.counted,
        _sized=limits.sized_text,
        salutation=salutation,
        money=_blank_safe(filters.money),
        date=_blank_safe(lambda value: filters.date_text(value, lang)),
        mask_phone=_blank_safe(mask_phone),
    )
    return env


def _context(template: Template, variables: dict[str, Any]) -> Context:
    # Template.new_context copies the globals into a set on every call; the variables
    # already hold them (see composing._Composer.base), so the context is made directly.
    return new_context(template.environment, template.name, template.blocks, variables, True)


@dataclass
class Compiled:
    """One template compiled: its jinja forms, the fields it reads, and its fast renderers."""

    source: TemplateSource
    text: Template
    html: Template | None
    seen: list[str]
    used: list[str] | None  # customer fields the template reads; None: any
    uses_touch: bool
    trees: tuple[nodes.Template, ...] = ()  # syntax trees of text and HTML, for the fast path
    memo: dict[tuple[Any, ...], tuple[str, str, str, tuple[str, ...]]] = field(default_factory=dict)
    fast: tuple[RowRenderer, RowRenderer | None] | None = None

    def bind(self, base: Mapping[str, Any], columns: Mapping[str, Sequence[Any]]) -> None:
        """Render straight from the columns when every part of the template allows it."""
        if self.uses_touch or self.used is None:
            return
        text = row_renderer(self.trees[0], self.text.environment, base, columns)
        html = None
        if self.html is not None:
            html = row_renderer(self.trees[1], self.html.environment, base, columns)
            if html is None:
                return
        if text is not None:
            self.fast = (text, html)

    def render_row(self, i: int) -> tuple[str, str, str, tuple[str, ...]]:
        """Subject, body, HTML body and the blank fields printed, for row i (after bind)."""
        text, html = self.fast  # type: ignore[misc]  # only called once fast is set
        self.seen.clear()
        subject, body = text(i).split(_SEP, 1)
        seen = tuple(dict.fromkeys(self.seen)) if self.seen else ()
        return subject.strip(), body.strip(), html(i) if html is not None else "", seen

    def render(
        self, base: dict[str, Any], customer: dict[str, Any], touch: Mapping[str, Any]
    ) -> tuple[str, str, str, tuple[str, ...]]:
        """Subject, body, HTML body and the blank fields printed, for one customer (and touch)."""
        # The output depends only on the fields the template reads: customers who share
        # them (same salutation, owner, dates…) share one rendering.
        key: tuple[Any, ...] | None = None
        if self.used is not None and not self.uses_touch:
            key = tuple(customer.get(name) for name in self.used)
            try:
                found = self.memo.get(key)
            except TypeError:  # an unhashable cell value: render this one without sharing
                key, found = None, None
            if found is not None:
                return found
        self.seen.clear()
        context = dict(base, customer=customer, touch=touch)
        limits.budget.start()
        text = "".join(self.text.root_render_func(_context(self.text, context)))
        subject, body = text.split(_SEP, 1)
        html = ""
        if self.html is not None:
            html = "".join(self.html.root_render_func(_context(self.html, context)))
        limits.budget.finish(len(text) + len(html))
        result = (subject.strip(), body.strip(), html, tuple(dict.fromkeys(self.seen)))
        if key is not None:
            self.memo[key] = result
        return result


def _check(ast: nodes.Template, source: TemplateSource, fields: frozenset[str]) -> set[str] | None:
    """Refuse unknown fields and internals; the customer fields used (None: any may be)."""
    _refuse_unknown_names(ast, source)
    _refuse_attr_filter(ast, source)
    used: set[str] | None = set()
    named = 0
    # find_all is typed as any expression; it yields only the node types asked for.
    accesses = cast(
        Iterator[nodes.Getattr | nodes.Getitem], ast.find_all((nodes.Getattr, nodes.Getitem))
    )
    for node in accesses:
        attr = _attribute(node)
        _refuse_access(node, attr, source, fields)
        if _of_customer(node) and used is not None:
            if attr is None:
                used = None  # customer[some_variable]: any field may be read
            else:
                used.add(attr)
                named += 1
    # `customer` passed whole (to a filter, a loop, a variable) may read any field.
    mentions = sum(1 for n in ast.find_all(nodes.Name) if n.name == "customer")
    return used if used is not None and mentions == named else None


def _refuse_unknown_names(ast: nodes.Template, source: TemplateSource) -> None:
    """A top-level name that is not one of the context's is a TemplateError."""
    for name in meta.find_undeclared_variables(ast):
        if name not in _CONTEXT_NAMES:
            raise TemplateError(
                tr(
                    f"未知字段「{name}」；客户字段请写成 customer.字段 或 customer['表头']",
                    f"unknown field '{name}'; write customer fields as customer.role or customer['Header']",
                ),
                template=source.name,
                field=name,
            )


def _refuse_attr_filter(ast: nodes.Template, source: TemplateSource) -> None:
    """``| attr('_…')`` reaching for an internal attribute is a TemplateError."""
    for call in ast.find_all(nodes.Filter):
        if call.name == "attr" and any(
            isinstance(arg, nodes.Const) and str(arg.value).startswith("_") for arg in call.args
        ):
            raise TemplateError(
                tr(
                    "模板试图用 attr 访问内部属性，出于安全已拒绝",
                    "the template reaches for an internal attribute through attr; refused for safety",
                ),
                template=source.name,
            )


def _attribute(node: nodes.Getattr | nodes.Getitem) -> str | None:
    """The name x.name or x['name'] reads; None when the key is computed."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    return str(node.arg.value) if isinstance(node.arg, nodes.Const) else None


def _of_customer(node: nodes.Getattr | nodes.Getitem) -> bool:
    """True for customer.x and customer[...]."""
    return isinstance(node.node, nodes.Name) and node.node.name == "customer"


def _refuse_access(
    node: nodes.Getattr | nodes.Getitem,
    attr: str | None,
    source: TemplateSource,
    fields: frozenset[str],
) -> None:
    """An internal attribute, or a customer field the table does not know, is a TemplateError."""
    if attr is not None and attr.startswith("_"):
        raise TemplateError(
            tr(
                f"模板访问了内部属性「{attr}」，出于安全已拒绝",
                f"the template reaches for the internal attribute '{attr}'; refused for safety",
            ),
            template=source.name,
            field=attr,
        )
    if _of_customer(node) and attr is not None and attr not in fields:
        raise TemplateError(
            tr(
                f"未知字段 customer.{attr}：客户表中没有这个角色或表头",
                f"unknown field customer.{attr}: no such role or header in the customer table",
            ),
            template=source.name,
            field=attr,
        )


@lru_cache(maxsize=512)
def _parse(lang: str, html: bool, text: str) -> tuple[nodes.Template, Template]:
    """A template's syntax tree and compiled form, loops counted (cached: compiling is slow)."""
    env = environment(lang, html)
    return env.parse(text), env.from_string(limits.with_counters(env.parse(text)))


def compile_template(source: TemplateSource, fields: frozenset[str]) -> Compiled:
    """A template compiled and checked against the known fields (subject + body, and HTML)."""
    parts = [(False, source.subject + _SEP + source.body)]
    if source.html:
        parts.append((True, source.html))
    compiled: list[Template] = []
    trees: list[nodes.Template] = []
    used: set[str] | None = set()
    uses_touch = False
    for html, text in parts:
        try:
            ast, template = _parse(source.lang, html, text)
        except TemplateSyntaxError as exc:
            raise TemplateError(
                tr(
                    f"模板语法错误（第 {exc.lineno} 行）：{exc.message}",
                    f"syntax error on line {exc.lineno}: {exc.message}",
                ),
                template=source.name,
            ) from None
        except (RecursionError, SyntaxError, MemoryError):  # Python's own nesting limits
            raise TemplateError(
                tr(
                    "模板嵌套太深（if/for/括号层数过多），请简化",
                    "the template nests too deep (if/for/brackets): simplify it",
                ),
                template=source.name,
            ) from None
        found = _check(ast, source, fields)
        uses_touch = uses_touch or "touch" in meta.find_undeclared_variables(ast)
        used = None if found is None or used is None else used | found
        compiled.append(template)
        trees.append(ast)
    seen = environment(source.lang, False).undefined.seen  # type: ignore[attr-defined]  # the Recorder
    return Compiled(
        source,
        compiled[0],
        compiled[1] if len(compiled) > 1 else None,
        seen,
        sorted(used) if used is not None else None,
        uses_touch,
        tuple(trees),
    )
