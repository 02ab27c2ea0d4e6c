"""Compose outreach messages: choose a template per customer (or due touch), render it safely.

Templates run in jinja2's ``SandboxedEnvironment``; customer values are data and are
never evaluated. Every template is compiled once and checked up front: a field that is
neither a role, a result column nor one of the sheet's headers is a TemplateError naming
the template and the field. Fields that are blank for a row render empty (or their
``| default(...)``) and are listed in that row's ``missing_fields``.

Customers' fields are prepared once as columns. Templates made of text, fields, filters
with constant arguments and if/else (all bundled ones) are rendered straight from those
columns by ``fast.row_renderer``, with exactly jinja's output; the rest by jinja.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from jinja2 import Template, TemplateSyntaxError, Undefined, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, new_context
from jinja2.sandbox import SandboxedEnvironment

from .. import _gc
from ..errors import InputError, SheetCRMError, TemplateError
from ..i18n import tr
from ..roles import CUSTOMER_ROLES
from ..settings import Block, Settings, parse_general, register
from ..values import parse_bool
from . import filters
from .fast import RowRenderer, row_renderer
from .sms import MAX_SMS_CHARS, add_opt_out, add_signature, check_sms_limit, sms_length
from .templates import CHANNELS, TemplateSet, TemplateSource, normalise_channel

__all__ = [
    "MESSAGE_COLUMNS",
    "SMS_BLOCK",
    "STATUS_OPEN",
    "MessageSettings",
    "MessagesResult",
    "compose_messages",
    "parse_message_settings",
]

STATUS_OPEN = "待跟进"
MESSAGE_COLUMNS = (
    "customer_id",
    "customer",
    "channel",
    "to",
    "subject",
    "body",
    "chars",
    "parts",
    "template",
    "warnings",
    "missing_fields",
    "html",
)
SKIPPED_COLUMNS = ("customer_id", "customer", "channel", "reason")
_CONTEXT_NAMES = frozenset({"customer", "company", "signature", "sender", "as_of", "touch", "lang"})
_TIER_FIELDS = (
    "tier",
    "tier_code",
    "segment_cn",
    "segment_en",
    "stage",
    "change",
    "score",
    "rfm",
    "churn_risk",
)
_DERIVED_FIELDS = (
    "customer_id",
    "segment",
    "salutation",
    "display_name",
    "amount_text",
    "first_purchase_text",
    "last_purchase_text",
    "mobile_masked",
)
# Addresses a mail client accepts as typed (ASCII; the data check standardises the rest).
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
# Subject and body are rendered in one pass, split on a character no template contains.
_SEP = "\x1e"

SMS_BLOCK = register(
    Block(
        key="sms",
        title_zh="短信与邮件",
        title_en="SMS and email",
        columns=(("key", "设置 Setting"), ("value", "值 Value"), ("note", "说明 Note")),
        defaults=(
            (
                "signature",
                "【示例科技】",
                "短信签名，必填（国内短信必须带签名）/ SMS signature, required in China",
            ),
            ("opt_out", "回T退订", "营销短信结尾的退订语 / opt-out line for marketing texts"),
            ("opt_out_en", "Reply STOP to opt out", "英文短信的退订语 / opt-out line in English"),
            (
                "sender",
                "示例科技 <sales@example.com>",
                "邮件发件人 / email sender (name <address>)",
            ),
            (
                "marketing",
                "是",
                "模板未注明时是否按营销短信处理 / texts are marketing unless a template says",
            ),
        ),
        help="短信签名、退订语和发件人 · SMS signature, opt-out line and email sender",
        order=40,
    )
)


@dataclass(frozen=True)
class MessageSettings:
    """What the messages job reads from the workbook: SMS rules, sender, the sheet's templates."""

    signature: str = "【示例科技】"
    opt_out: str = "回T退订"
    opt_out_en: str = "Reply STOP to opt out"
    sender: str = "示例科技 <sales@example.com>"
    marketing: bool = True
    horizon_days: int | None = None  # due touches up to as_of + this many days; None = all open
    templates: tuple[TemplateSource, ...] = ()

    @property
    def company(self) -> str:
        """The company name, taken from the signature without its brackets."""
        return self.signature.strip().strip("【】[]").strip()


@dataclass
class MessagesResult:
    """Rendered messages, the customers who get none (and why), and per-row errors."""

    messages: pd.DataFrame
    skipped: pd.DataFrame
    errors: list[SheetCRMError] = field(default_factory=list)
    sender: str = ""


def parse_message_settings(
    settings: Settings, sheet_templates: Sequence[TemplateSource] | None = None
) -> MessageSettings:
    """The [sms] block (and the plan horizon from [general]) with the sheet's templates."""
    data = settings.block("sms")
    values = data.mapping()
    defaults = {str(row[0]): row[1] for row in SMS_BLOCK.defaults}

    def get(key: str) -> str:
        value = values.get(key, (0, None))[1]
        return str(defaults[key] if value in (None, "") else value).strip()

    signature = get("signature")
    if not (signature.startswith("【") and signature.endswith("】") and len(signature) > 2):
        row = values.get("signature", (0, None))[0]
        raise data.error(
            row or 0,
            "value",
            tr(
                f"短信签名「{signature}」须写成【公司简称】的形式",
                f"the SMS signature '{signature}' must look like 【Company】",
            ),
        )
    try:
        marketing = parse_bool(get("marketing"))
    except ValueError as exc:
        raise data.error(values.get("marketing", (0, None))[0], "value", str(exc)) from None
    return MessageSettings(
        signature=signature,
        opt_out=get("opt_out"),
        opt_out_en=get("opt_out_en"),
        sender=get("sender"),
        marketing=marketing,
        horizon_days=parse_general(settings).horizon_days,
        templates=tuple(sheet_templates or ()),
    )


# ---- environments and compiling ---------------------------------------------------------------


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
    return str(value) if isinstance(value, Undefined) else None


class _Sandbox(SandboxedEnvironment):
    """The jinja2 sandbox, with customer fields (dict items, plain data) looked up first."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@lru_cache(maxsize=8)
def _environment(lang: str, html: bool) -> SandboxedEnvironment:
    recorder = type("Recorder", (_Recorder,), {"seen": None if html else []})
    env = _Sandbox(
        autoescape=html, undefined=recorder, keep_trailing_newline=False, auto_reload=False
    )

    def salutation(value: Any, title: Any = None) -> str:
        if isinstance(title, Undefined):
            title = None
        blank = _filter_undefined(value)
        return filters.salutation(None if blank is not None else value, title, lang)

    def money(value: Any, symbol: str = "¥", digits: int = 2) -> str:
        blank = _filter_undefined(value)
        return blank if blank is not None else filters.money(value, symbol, digits)

    def date(value: Any) -> str:
        blank = _filter_undefined(value)
        return blank if blank is not None else filters.date_text(value, lang)

    def mask_phone(value: Any) -> str:
        blank = _filter_undefined(value)
        return blank if blank is not None else filters.mask_phone(value)

    env.filters.update(salutation=salutation, money=money, date=date, mask_phone=mask_phone)
    return env


def _context(template: Template, variables: dict[str, Any]) -> Context:
    # Template.new_context copies the globals into a set on every call; the variables
    # already hold them (see _Composer.base), so the context is made directly.
    return new_context(template.environment, template.name, template.blocks, variables, True)


@dataclass
class _Compiled:
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
        text, html = self.fast  # type: ignore[misc]
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
        text = "".join(self.text.root_render_func(_context(self.text, context)))
        subject, body = text.split(_SEP, 1)
        html = ""
        if self.html is not None:
            html = "".join(self.html.root_render_func(_context(self.html, context)))
        result = (subject.strip(), body.strip(), html, tuple(dict.fromkeys(self.seen)))
        if key is not None:
            self.memo[key] = result
        return result


def _check(ast: nodes.Template, source: TemplateSource, fields: frozenset[str]) -> set[str] | None:
    """Refuse unknown fields and internals; the customer fields used (None: any may be)."""
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
    used: set[str] | None = set()
    named = 0
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else None
        if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            attr = str(node.arg.value)
        if attr is not None and attr.startswith("_"):
            raise TemplateError(
                tr(
                    f"模板访问了内部属性「{attr}」，出于安全已拒绝",
                    f"the template reaches for the internal attribute '{attr}'; refused for safety",
                ),
                template=source.name,
                field=attr,
            )
        inner = node.node  # type: ignore[attr-defined]
        if (
            isinstance(inner, nodes.Name)
            and inner.name == "customer"
            and attr is not None
            and attr not in fields
        ):
            raise TemplateError(
                tr(
                    f"未知字段 customer.{attr}：客户表中没有这个角色或表头",
                    f"unknown field customer.{attr}: no such role or header in the customer table",
                ),
                template=source.name,
                field=attr,
            )
        if isinstance(inner, nodes.Name) and inner.name == "customer" and used is not None:
            if attr is None:
                used = None  # customer[some_variable]: any field may be read
            else:
                used.add(attr)
                named += 1
    # `customer` passed whole (to a filter, a loop, a variable) may read any field.
    mentions = sum(1 for n in ast.find_all(nodes.Name) if n.name == "customer")
    return used if used is not None and mentions == named else None


@lru_cache(maxsize=512)
def _parse(lang: str, html: bool, text: str) -> tuple[nodes.Template, Template]:
    """A template's syntax tree and compiled form (cached: compiling is the slow part)."""
    env = _environment(lang, html)
    return env.parse(text), env.from_string(text)


def _compile(source: TemplateSource, fields: frozenset[str]) -> _Compiled:
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
        found = _check(ast, source, fields)
        uses_touch = uses_touch or "touch" in meta.find_undeclared_variables(ast)
        used = None if found is None or used is None else used | found
        compiled.append(template)
        trees.append(ast)
    seen = _environment(source.lang, False).undefined.seen  # type: ignore[attr-defined]
    return _Compiled(
        source,
        compiled[0],
        compiled[1] if len(compiled) > 1 else None,
        seen,
        sorted(used) if used is not None else None,
        uses_touch,
        tuple(trees),
    )


# ---- customer records -----------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """One cell value as a plain Python value, None when blank."""
    kind = value.__class__
    if kind is str:
        return value if value.strip() else None
    if value is None or value is pd.NaT or (kind is float and value != value):
        return None
    if kind is pd.Timestamp:
        return value.date()
    return value


def _column(series: pd.Series, kind: str = "") -> list[Any]:
    """A column as plain Python values with every blank as None."""
    # Convert each distinct value once (tiers, owners, titles and dates repeat a lot);
    # text that is not blank, the most common cell, is kept without a call.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    plain = [v if v.__class__ is str and v.strip() else _plain(v) for v in uniques.tolist()]
    if kind == "integer":
        plain = [int(v) if isinstance(v, float) and v.is_integer() else v for v in plain]
    table = np.empty(len(plain) + 1, dtype=object)
    table[: len(plain)] = plain
    return table[codes].tolist()


def _id_text(value: Any) -> str:
    """A customer ID as text: whole numbers without '.0', blank as ''."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _mobile(value: Any) -> str:
    # Plain 11-digit mainland numbers are by far the most common: skip the regexes for them.
    if value.__class__ is str and len(value) == 11 and value.isdigit():
        return value
    return filters.normalise_mobile(value)


def _cached(func: Any, columns: Sequence[list[Any]], *args: Any) -> list[Any]:
    """func(*one row's values, *args) for every row, called once per distinct combination."""
    n = len(columns[0])
    if n == 0:
        return []
    # Distinct combinations found by hashing in pandas (equal values group as in a dict),
    # then each one formatted once from its first row (titles and dates repeat a lot).
    key = np.zeros(n, dtype=np.int64)
    for values in columns:
        codes, uniques = pd.factorize(np.fromiter(values, dtype=object, count=n))
        key, _ = pd.factorize(key * (len(uniques) + 1) + codes + 1)
    _, first = np.unique(key, return_index=True)
    found = [func(*(values[r] for values in columns), *args) for r in first.tolist()]
    table = np.empty(len(found), dtype=object)
    table[:] = found
    out: list[Any] = table[key].tolist()
    return out


def _date_or_none(value: Any, lang: str) -> str | None:
    return filters.date_text(value, lang) or None


def _labels_of(*values: Any) -> frozenset[str]:
    """The selection labels of one customer: tier, segment, stage, change (+ churn warning)."""
    *names, churn = values
    found = {str(v).strip().casefold() for v in names if v is not None and str(v).strip()}
    return frozenset(found | ({"流失预警", "churn"} if churn is True else set()))


@dataclass
class _Records:
    """The customers as columns of plain values, with derived fields computed on demand."""

    ids: list[str]
    names: list[str]
    rows: list[int]
    fields: dict[str, list[Any]]
    derived: dict[str, Callable[[], list[Any]]]
    labels: list[frozenset[str]]
    opted_out: list[bool]
    to: dict[str, list[str]]
    headers: dict[str, str]  # field -> header text for the missing-fields column

    @property
    def known(self) -> frozenset[str]:
        """Every field name a template may use."""
        roles = {info.role for info in CUSTOMER_ROLES}
        derived = set(self.derived) | set(_DERIVED_FIELDS)
        return frozenset(self.fields) | derived | roles | set(_TIER_FIELDS)

    def columns(self, names: set[str] | None) -> list[tuple[str, list[Any]]]:
        """The named fields (all when None) as (name, values), derived ones computed now."""
        for name in list(self.derived):
            if names is None or name in names:
                self.fields[name] = self.derived.pop(name)()
        return [(k, v) for k, v in self.fields.items() if names is None or k in names]

    def record(self, i: int, columns: Sequence[tuple[str, list[Any]]]) -> dict[str, Any]:
        """Customer i's non-blank fields among the given columns."""
        return {name: values[i] for name, values in columns if values[i] is not None}


def _customer_keys(customers: pd.DataFrame) -> list[str]:
    """Each customer's key as the plan engine makes it: the ID as text, else the Excel row."""
    rows = customers.index
    if "id" not in customers.columns:
        return [str(int(r)) for r in rows]
    column = customers["id"]
    if pd.api.types.infer_dtype(column, skipna=True) != "string":  # numbers, mixed
        return [
            (v.strip() if v.__class__ is str else _id_text(v)) or str(int(r))
            for v, r in zip(_column(column), rows, strict=True)
        ]
    # Text IDs, the usual case, are stripped as one column.
    texts = column.str.strip()
    blank = (texts.isna() | (texts == "")).to_numpy()
    keys = texts.to_numpy(dtype=object)
    keys[blank] = [str(int(r)) for r in rows[blank]]
    out: list[str] = keys.tolist()
    return out


def _records(
    customers: pd.DataFrame,
    tiers: pd.DataFrame | None,
    raw: pd.DataFrame | None,
    labels: Mapping[str, str],
    lang: str,
    ids: list[str] | None = None,
) -> _Records:
    """The customers' fields as columns (``ids``: their keys, when already made)."""
    n = len(customers)
    blank: list[Any] = [None] * n
    # Columns are converted only when a template (or the rules) reads them.
    memo: dict[tuple[int, str], list[Any]] = {}

    def convert(frame: pd.DataFrame, name: str, kind: str = "") -> list[Any]:
        if name not in frame.columns:
            return blank
        if (id(frame), name) not in memo:
            memo[id(frame), name] = _column(frame[name], kind)
        return memo[id(frame), name]

    derived: dict[str, Callable[[], list[Any]]] = {
        info.role: partial(convert, customers, info.role, info.kind)
        for info in CUSTOMER_ROLES
        if info.role in customers.columns
    }
    rows = [int(r) for r in customers.index]
    ids = _customer_keys(customers) if ids is None else ids
    fields: dict[str, list[Any]] = {"customer_id": list(ids)}
    person = [
        c if c is not None else nm
        for c, nm in zip(convert(customers, "contact"), convert(customers, "name"), strict=True)
    ]
    fields["display_name"] = person
    mobiles = [_mobile(v) for v in convert(customers, "mobile")]
    emails = [
        e.strip() if isinstance(e, str) and _EMAIL.match(e.strip()) else ""
        for e in convert(customers, "email")
    ]
    title = convert(customers, "title")
    derived |= {
        "salutation": lambda: _cached(filters.salutation, (person, title), lang),
        "mobile_masked": lambda: [
            m[:3] + "****" + m[-4:] if len(m) >= 7 else (m or None) for m in mobiles
        ],
    }
    if "amount" in customers.columns:
        amounts = derived["amount"]
        derived["amount_text"] = lambda: [
            None if v is None else filters.money(v) for v in amounts()
        ]
    for role in ("first_purchase", "last_purchase"):
        if role in customers.columns:
            derived[f"{role}_text"] = partial(
                lambda r: _cached(_date_or_none, (convert(customers, r),), lang), role
            )

    tier_labels: list[frozenset[str]] = [frozenset()] * n
    if tiers is not None and len(tiers):
        tiers = tiers.reindex(customers.index)
        for name in _TIER_FIELDS:
            if name in tiers.columns:
                derived[name] = partial(convert, tiers, name)
        segment = "segment_cn" if lang == "zh" else "segment_en"
        if segment in tiers.columns:
            derived["segment"] = derived[segment]
        label_columns = [
            convert(tiers, c)
            for c in ("tier", "tier_code", "segment_cn", "segment_en", "stage", "change")
            if c in tiers.columns
        ]
        churn = convert(tiers, "churn_risk")
        tier_labels = _cached(_labels_of, (*label_columns, churn))

    # Fields by the sheet's own header text: a role's header reads the typed value.
    for role, header in labels.items():
        if role in fields and header not in fields:
            fields[header] = fields[role]
        elif role in derived and header not in derived:
            derived[header] = derived[role]
    if raw is not None:
        raw = raw.reindex(customers.index)
        for header in raw.columns:
            text = str(header)
            if text not in fields and text not in derived:
                derived[text] = partial(convert, raw, header)

    return _Records(
        ids=ids,
        names=[
            str(nm) if nm is not None else str(p or "")
            for nm, p in zip(convert(customers, "name"), person, strict=True)
        ],
        rows=rows,
        fields=fields,
        derived=derived,
        labels=tier_labels,
        opted_out=[bool(v) for v in convert(customers, "opt_out")],
        to={"sms": mobiles, "wechat": mobiles, "phone": mobiles, "email": emails},
        headers=dict(labels),
    )


# ---- composing -------------------------------------------------------------------------------


class _Composer:
    """One run: templates compiled once, customers' fields precomputed once, rows appended."""

    def __init__(
        self, records: _Records, settings: MessageSettings, lang: str, as_of: dt.date
    ) -> None:
        self.records, self.settings, self.lang = records, settings, lang
        self.templates = TemplateSet(settings.templates)
        self.compiled: dict[int, _Compiled] = {}
        self.columns: list[tuple[str, list[Any]]] = []
        self._by_name: dict[str, list[Any]] | None = None  # the columns, once prepared
        self._record: tuple[int, dict[str, Any]] = (-1, {})
        self._choices: dict[tuple[frozenset[str], str], TemplateSource | None] = {}
        self.base = {
            **_environment(lang, False).globals,
            "company": settings.company,
            "signature": settings.signature,
            "sender": settings.sender,
            "as_of": as_of,
            "lang": lang,
        }
        self.rows: list[tuple[Any, ...]] = []
        self.skipped: list[tuple[str, str, str, str]] = []
        self.errors: list[SheetCRMError] = []
        self._sms: dict[tuple[str, bool, bool, str], tuple[str, int, int, str]] = {}
        # Warning texts resolved once: tr() looks the language up on every call.
        self._long = tr("长短信，按 {} 条计费", "long SMS, billed as {}")
        self._ucs2 = tr("国际短信含非 GSM 字符，按 70/67 计", "non-GSM text: 70/67 per part")
        self._missing = tr("缺少字段：", "missing fields: ")

    def prepare(self) -> None:
        """Compile (and check) every template in force; keep only the fields they read."""
        used: set[str] | None = set()
        for source in self.templates.sources():
            if source.lang == self.lang:
                found = self.compiled_template(source).used
                used = None if found is None or used is None else used | set(found)
        self.columns = self.records.columns(used)
        self._by_name = dict(self.columns)
        for compiled in self.compiled.values():
            compiled.bind(self.base, self._by_name)

    def choose(self, labels: frozenset[str], channel: str) -> TemplateSource | None:
        """The automatic template choice, remembered per distinct label set."""
        key = (labels, channel)
        try:
            return self._choices[key]
        except KeyError:
            found = self._choices[key] = self.templates.choose(labels, channel, self.lang)
            return found

    def skip(self, i: int, channel: str, reason: str) -> None:
        self.skipped.append((self.records.ids[i], self.records.names[i], channel, reason))

    def compiled_template(self, source: TemplateSource) -> _Compiled:
        found = self.compiled.get(id(source))
        if found is None:
            found = self.compiled[id(source)] = _compile(source, self.records.known)
            if self._by_name is not None:
                found.bind(self.base, self._by_name)
        return found

    def render(
        self, i: int, channel: str, source: TemplateSource, touch: Mapping[str, Any]
    ) -> None:
        """Render one message for customer i and append it (or skip it with the reason)."""
        records = self.records
        compiled = self.compiled.get(id(source)) or self.compiled_template(source)
        try:
            if compiled.fast is not None:
                subject, body, html, seen = compiled.render_row(i)
            else:
                if self._record[0] != i:
                    self._record = (i, records.record(i, self.columns))
                subject, body, html, seen = compiled.render(self.base, self._record[1], touch)
        except SecurityError as exc:
            raise TemplateError(
                tr(
                    f"模板试图访问不安全的内容：{exc}",
                    f"the template reaches for something unsafe: {exc}",
                ),
                template=source.name,
            ) from None
        except Exception as exc:  # a staff template failing on this row's data
            raise TemplateError(
                tr(
                    f"渲染第 {records.rows[i]} 行（{records.names[i]}）时出错：{exc}",
                    f"rendering row {records.rows[i]} ({records.names[i]}) failed: {exc}",
                ),
                template=source.name,
            ) from None
        to = records.to[channel][i]
        chars, parts, warnings = len(body), None, ""
        if channel == "sms":
            body, chars, parts, warnings = self.sms(body, to.startswith("+"), source)
            if len(body) > MAX_SMS_CHARS:
                try:
                    check_sms_limit(body, customer=records.names[i], row=records.rows[i])
                except InputError as exc:
                    self.errors.append(exc)
                    self.skip(i, channel, tr("短信超过 500 字", "SMS over 500 characters"))
                    return
        missing = ""
        if seen:
            missing = "、".join([records.headers.get(f, f) for f in seen])
            note = self._missing + missing
            warnings = f"{warnings}；{note}" if warnings else note
        self.rows.append(
            (
                records.ids[i],
                records.names[i],
                channel,
                to,
                subject,
                body,
                chars,
                parts,
                source.key,
                warnings,
                missing,
                html,
            )
        )

    def sms(
        self, body: str, international: bool, source: TemplateSource
    ) -> tuple[str, int, int, str]:
        """An SMS with signature and opt-out line as the rules want, its count and warnings."""
        marketing = self.settings.marketing if source.marketing is None else source.marketing
        key = (body, international, marketing, source.lang)
        found = self._sms.get(key)
        if found is not None:
            return found
        text = body
        if not international:
            text = add_signature(text, self.settings.signature)[0]
        if marketing:
            opt_out = self.settings.opt_out if source.lang == "zh" else self.settings.opt_out_en
            text = add_opt_out(text, opt_out)[0]
        count = sms_length(text, international)
        warnings = [self._long.format(count.parts)] if count.parts > 1 else []
        if international and count.encoding == "ucs2":
            warnings.append(self._ucs2)
        found = self._sms[key] = (text, count.chars, count.parts, "；".join(warnings))
        return found

    def result(self) -> MessagesResult:
        table = np.empty((len(self.rows), len(MESSAGE_COLUMNS)), dtype=object)
        if self.rows:
            table[:] = self.rows
        messages = pd.DataFrame(table, columns=list(MESSAGE_COLUMNS))
        messages["chars"] = messages["chars"].astype("int64")
        messages["parts"] = pd.array(table[:, MESSAGE_COLUMNS.index("parts")], dtype="Int64")
        return MessagesResult(
            messages=messages,
            skipped=pd.DataFrame(self.skipped, columns=list(SKIPPED_COLUMNS), dtype=object),
            errors=self.errors,
            sender=self.settings.sender,
        )


def _due_touches(plan: pd.DataFrame, as_of: dt.date, horizon: int | None) -> pd.DataFrame:
    touches = plan[plan["status"].astype(str).str.strip() == STATUS_OPEN]
    if horizon is not None and "due" in touches.columns:
        due = pd.to_datetime(touches["due"], errors="coerce")
        touches = touches[due.isna() | (due <= pd.Timestamp(as_of + dt.timedelta(days=horizon)))]
    return touches


def compose_messages(
    customers: pd.DataFrame,
    tiers: pd.DataFrame | None,
    settings: MessageSettings,
    *,
    plan: pd.DataFrame | None = None,
    raw: pd.DataFrame | None = None,
    labels: Mapping[str, str] | None = None,
    lang: str = "zh",
    as_of: dt.date,
    channels: Sequence[str] = ("sms", "email"),
) -> MessagesResult:
    """One message per due follow-up touch (or per customer and channel), ready to send."""
    with _gc.paused():
        return _compose(customers, tiers, settings, plan, raw, labels, lang, as_of, channels)


def _compose(
    customers: pd.DataFrame,
    tiers: pd.DataFrame | None,
    settings: MessageSettings,
    plan: pd.DataFrame | None,
    raw: pd.DataFrame | None,
    labels: Mapping[str, str] | None,
    lang: str,
    as_of: dt.date,
    channels: Sequence[str],
) -> MessagesResult:
    wanted = [normalise_channel(c) for c in channels]
    for given, code in zip(channels, wanted, strict=True):
        if code not in CHANNELS:
            raise InputError(
                tr(
                    f"渠道「{given}」无效：请用 sms、email、wechat 或 phone",
                    f"channel '{given}' is not valid: use sms, email, wechat or phone",
                )
            )
    touches: list[tuple[dict[str, Any], str]] = []
    if plan is None:
        records = _records(customers, tiers, raw, labels or {}, lang)
    else:
        for touch in _blank_records(_due_touches(plan, as_of, settings.horizon_days)):
            channel = normalise_channel(touch.get("channel"))
            if channel in wanted:  # not visits, nor channels not asked for this run
                touches.append((touch, channel))
        # Only the customers the due touches name get a message: their fields alone are
        # prepared (a full sheet has a million customers and a few thousand due touches).
        keys = _customer_keys(customers)
        named = {_id_text(touch.get("customer_id")) for touch, _ in touches}
        hits = np.flatnonzero(pd.Index(keys, dtype=object).isin(list(named)))
        last = {keys[r]: r for r in hits.tolist()}  # a repeated ID means its last row
        rows = sorted(last.values())
        subset = customers.iloc[rows]
        records = _records(subset, tiers, raw, labels or {}, lang, [keys[r] for r in rows])
    composer = _Composer(records, settings, lang, as_of)
    # Every template in force is compiled (and checked) even if no row uses it.
    composer.prepare()
    opted_out_listed: set[int] = set()

    def deliver(i: int, channel: str, key: str, touch: Mapping[str, Any]) -> None:
        if records.opted_out[i]:
            if i not in opted_out_listed:
                opted_out_listed.add(i)
                composer.skip(i, "", tr("已退订 / 勿扰", "opted out / do not contact"))
            return
        if not records.to[channel][i]:
            what = tr("邮箱", "email") if channel == "email" else tr("手机号", "mobile number")
            composer.skip(i, channel, tr(f"没有有效的{what}", f"no valid {what}"))
            return
        source = (
            composer.templates.get(key, channel, lang)
            if key
            else composer.choose(records.labels[i], channel)
        )
        if source is None:
            composer.skip(
                i,
                channel,
                tr(
                    f"没有适用的模板（{key or '自动'} / {channel} / {lang}）",
                    f"no template for {key or 'automatic choice'} / {channel} / {lang}",
                ),
            )
            return
        composer.render(i, channel, source, touch)

    if plan is None:
        for i in range(len(records.ids)):
            for channel in wanted:
                deliver(i, channel, "", {})
        return composer.result()

    position = {cid: i for i, cid in enumerate(records.ids)}
    for touch, channel in touches:
        found = position.get(_id_text(touch.get("customer_id")))
        if found is None:
            composer.errors.append(
                InputError(
                    tr(
                        f"跟进计划中的客户编号「{touch.get('customer_id')}」不在客户表中",
                        f"customer ID '{touch.get('customer_id')}' in the plan is not in the customer table",
                    ),
                    column="customer_id",
                )
            )
            continue
        deliver(found, channel, str(touch.get("template") or ""), touch)
    return composer.result()


def _blank_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    columns = {str(c): _column(frame[c]) for c in frame.columns}
    return [{k: v[n] for k, v in columns.items() if v[n] is not None} for n in range(len(frame))]
