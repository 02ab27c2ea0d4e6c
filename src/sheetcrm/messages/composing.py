"""Compose outreach messages: choose a template per customer (or due touch) and render it.

Customers' fields are prepared once as columns (``records``). Templates made of text,
fields, filters with constant arguments and if/else (all bundled ones) are rendered straight
from those columns by ``fast.row_renderer``, with exactly jinja's output; the rest by jinja
(``compiling``). SMS get their signature and opt-out line and are counted as carriers bill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from jinja2.exceptions import SecurityError

from .. import _gc
from ..errors import InputError, SheetCRMError, TemplateError
from ..i18n import Text, tr
from ..schedule.statuses import STATUS_OPEN
from . import limits
from .compiling import Compiled, compile_template, environment
from .records import ExtraFields, Records, Touches, build_records, customer_key_array, id_text
from .settings import MessageSettings
from .sms import MAX_SMS_CHARS, add_opt_out, add_signature, check_sms_limit, sms_length
from .templates import CHANNELS, TemplateSet, TemplateSource, normalise_channel

__all__ = ["MESSAGE_COLUMNS", "MessagesResult", "compose_messages"]

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
    "html",
    "send_date",
)
# Messages that cannot be sent: the reason, and the address, text and template when there are
# some; a text with a field printed blank (no default) lists the fields.
SKIPPED_COLUMNS = (
    "customer_id",
    "customer",
    "channel",
    "reason",
    "to",
    "body",
    "template",
    "missing_fields",
)
# Messages sent before, which a run does not make again.
_SENT_COLUMNS = ("customer_id", "channel", "send_date", "to", "body")


@dataclass
class MessagesResult:
    """Rendered messages, the customers who get none (and why), and per-row errors."""

    messages: pd.DataFrame
    skipped: pd.DataFrame
    errors: list[SheetCRMError] = field(default_factory=list)
    sender: str = ""
    already_sent: int = 0  # messages not made again: marked sent in the previous sheet


def _send_date(due: Any, as_of: dt.date) -> dt.date:
    """When a message goes out: its touch's due date, today for an overdue or undated one."""
    if isinstance(due, dt.datetime):
        due = due.date()
    return due if isinstance(due, dt.date) and due > as_of else as_of


def _said(exc: Exception) -> str:
    """What an exception says, its kind when it says nothing (a MemoryError)."""
    return str(exc) or type(exc).__name__


class _Composer:
    """One run: templates compiled once, customers' fields precomputed once, rows appended."""

    def __init__(
        self,
        records: Records,
        settings: MessageSettings,
        lang: str,
        as_of: dt.date,
        sent: pd.DataFrame | None = None,
        touches: Touches | None = None,
    ) -> None:
        self.records, self.settings, self.lang = records, settings, lang
        self.touches = touches or Touches(pd.DataFrame())
        self._due = self.touches.values("due")
        limits.budget.new_run()
        self.templates = TemplateSet(settings.templates)
        self.compiled: dict[int, Compiled] = {}
        self.columns: list[tuple[str, list[Any]]] = []
        self._by_name: dict[str, list[Any]] | None = None  # the columns, once prepared
        self._record: tuple[int, dict[str, Any]] = (-1, {})
        self._choices: dict[tuple[frozenset[str], str], TemplateSource | None] = {}
        self.base = {
            **environment(lang, False).globals,
            "company": settings.company,
            "signature": settings.signature,
            "sender": settings.sender,
            "as_of": as_of,
            "lang": lang,
        }
        self.rows: list[tuple[Any, ...]] = []
        # The reason is shown twice: in 消息 (the workbook's language) and counted on the console.
        self.skipped: list[tuple[str, str, str, Text, str, str, str, str]] = []
        self.errors: list[SheetCRMError] = []
        self._opted_out_listed: set[int] = set()  # opted out customers are listed once
        self._sms: dict[tuple[str, bool, bool, str], tuple[str, int, int, str]] = {}
        # Warning texts resolved once: tr() looks the language up on every call.
        self._long = tr("长短信，按 {} 条计费", "long SMS, billed as {}")
        self._ucs2 = tr("国际短信含非 GSM 字符，按 70/67 计", "non-GSM text: 70/67 per part")
        self._repeated = Text(
            "本次已向此地址发送相同内容", "the same text already goes to this address"
        )
        self._sent: set[tuple[str, str, str]] = set()  # (channel, address, body) in this run
        self.as_of = as_of
        # Sent before (a re-run the same day): by customer, channel and date, and by text.
        sent = sent if sent is not None else pd.DataFrame(columns=list(_SENT_COLUMNS))
        self._done = set(zip(sent["customer_id"], sent["channel"], sent["send_date"], strict=True))
        self._done_texts = set(zip(sent["channel"], sent["to"], sent["body"], strict=True))
        self.already_sent = 0

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

    def deliver(self, i: int, channel: str, key: str, touch: int = -1) -> None:
        """Customer i's message on a channel (template key, else chosen) for a touch (its row
        among the due touches, -1 for none), or why there is none."""
        records, lang = self.records, self.lang
        send_date = _send_date(self._due[touch] if touch >= 0 else None, self.as_of)
        if (records.ids[i], channel, send_date) in self._done:
            self.already_sent += 1
            return
        if records.opted_out[i]:
            if i not in self._opted_out_listed:
                self._opted_out_listed.add(i)
                self.skip(i, "", Text("已退订 / 勿扰", "opted out / do not contact"))
            return
        if not records.to[channel][i]:
            what = ("邮箱", "email") if channel == "email" else ("手机号", "mobile number")
            self.skip(i, channel, Text(f"没有有效的{what[0]}", f"no valid {what[1]}"))
            return
        source = (
            self.templates.get(key, channel, lang)
            if key
            else self.choose(records.labels[i], channel)
        )
        if source is None:
            self.skip(
                i,
                channel,
                Text(
                    f"没有适用的模板（{key or '自动'} / {channel} / {lang}）",
                    f"no template for {key or 'automatic choice'} / {channel} / {lang}",
                ),
            )
            return
        self.render(i, channel, source, touch, send_date)

    def skip(
        self,
        i: int,
        channel: str,
        reason: Text,
        to: str = "",
        body: str = "",
        template: str = "",
        missing: str = "",
    ) -> None:
        """List customer i as getting no message on the channel, and why."""
        records = self.records
        self.skipped.append(
            (records.ids[i], records.names[i], channel, reason, to, body, template, missing)
        )

    def compiled_template(self, source: TemplateSource) -> Compiled:
        """The template compiled (once per run), bound to the columns once they are prepared."""
        found = self.compiled.get(id(source))
        if found is None:
            found = self.compiled[id(source)] = compile_template(source, self.records.known)
            if self._by_name is not None:
                found.bind(self.base, self._by_name)
        return found

    def render(
        self, i: int, channel: str, source: TemplateSource, touch: int, send_date: dt.date
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
                record = self.touches.record(touch) if touch >= 0 else {}
                subject, body, html, seen = compiled.render(self.base, self._record[1], record)
        except limits.RenderLimitError as exc:
            raise TemplateError(
                tr(f"超出模板限制：{exc}", f"beyond a template limit: {exc}"),
                template=source.name,
            ) from None
        except (RecursionError, OverflowError) as exc:
            raise TemplateError(
                tr(
                    f"超出模板限制：递归或数值过大（{type(exc).__name__}）",
                    f"beyond a template limit: recursion or a number too large ({type(exc).__name__})",
                ),
                template=source.name,
            ) from None
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
                    f"渲染第 {records.rows[i]} 行（{records.names[i]}）时出错：{_said(exc)}",
                    f"rendering row {records.rows[i]} ({records.names[i]}) failed: {_said(exc)}",
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
                    reason = Text(
                        f"短信超过 {MAX_SMS_CHARS} 字", f"SMS over {MAX_SMS_CHARS} characters"
                    )
                    self.skip(i, channel, reason, to, body, source.key)
                    return
        if seen:  # a field printed blank, with no default: not a text to send as it is
            missing = "、".join([records.shown.get(f, f) for f in seen])
            reason = Text(f"缺少字段：{missing}", f"missing fields: {missing}")
            self.skip(i, channel, reason, to, body, source.key, missing)
            return
        if (channel, to, body) in self._done_texts:
            self.already_sent += 1
            return
        if (channel, to, body) in self._sent:
            self.skip(i, channel, self._repeated, to, body, source.key)
            return
        self._sent.add((channel, to, body))
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
                html,
                send_date,
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
        """The messages and the skipped customers as frames, with the errors met."""
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
            already_sent=self.already_sent,
        )


def _due_touches(plan: pd.DataFrame, as_of: dt.date, until: dt.date) -> pd.DataFrame:
    """The plan's open touches due by ``until`` (undated ones too), one per customer, channel
    and send date (an overdue touch is sent today)."""
    # Rows chosen column by column and the plan's rows taken once: a full plan is a million
    # rows, each boolean mask on the frame a copy of every column.
    status, distinct = pd.factorize(plan["status"].astype(str))
    is_open = np.array([text.strip() == STATUS_OPEN for text in distinct], dtype=bool)
    rows = np.flatnonzero(np.append(is_open, False)[status])  # -1 (blank) picks the False
    if "due" not in plan.columns:
        return plan.iloc[rows]
    due = pd.to_datetime(plan["due"].iloc[rows], errors="coerce")
    wanted = (due.isna() | (due <= pd.Timestamp(until))).to_numpy()
    rows, due = rows[wanted], due[wanted]
    keys = pd.DataFrame(
        {
            "customer": plan["customer_id"].iloc[rows].astype(str).str.strip(),
            "channel": plan["channel"].iloc[rows].map(normalise_channel),
            "day": due.clip(lower=pd.Timestamp(as_of)),
        }
    )
    return plan.iloc[rows[~keys.duplicated().to_numpy()]]


def compose_messages(
    customers: pd.DataFrame,
    tiers: pd.DataFrame | None,
    settings: MessageSettings,
    *,
    plan: pd.DataFrame | None = None,
    extra: ExtraFields | None = None,
    lang: str = "zh",
    as_of: dt.date,
    channels: Sequence[str] = ("sms", "email"),
    until: dt.date | None = None,
    sent: pd.DataFrame | None = None,
) -> MessagesResult:
    """One message per touch due by ``until`` (default: as_of, so due today and overdue), or per
    customer and channel without a plan; ready to send on its date. ``sent`` (customer_id,
    channel, send_date, to, body) were sent before: neither made again nor their text resent."""
    with _gc.paused():
        return _compose(
            customers,
            tiers,
            settings,
            plan,
            extra or ExtraFields(),
            lang,
            as_of,
            channels,
            until or as_of,
            sent,
        )


def _compose(
    customers: pd.DataFrame,
    tiers: pd.DataFrame | None,
    settings: MessageSettings,
    plan: pd.DataFrame | None,
    extra: ExtraFields,
    lang: str,
    as_of: dt.date,
    channels: Sequence[str],
    until: dt.date,
    sent: pd.DataFrame | None,
) -> MessagesResult:
    """compose_messages, with the garbage collector paused."""
    wanted = _wanted_channels(channels)
    if plan is None:
        records = build_records(customers, tiers, extra, lang)
        composer = _Composer(records, settings, lang, as_of, sent)
        # Every template in force is compiled (and checked) even if no row uses it.
        composer.prepare()
        for i in range(len(composer.records.ids)):
            for channel in wanted:
                composer.deliver(i, channel, "")
        return composer.result()
    # The touches as columns: a dict per touch only for a template that reads the touch.
    touches = Touches(_due_touches(plan, as_of, until))
    codes = {c: normalise_channel(c) for c in set(touches.values("channel"))}
    raw_ids = touches.values("customer_id")
    ids = [id_text(v) for v in raw_ids]
    templates = touches.values("template")
    # Not visits, nor channels not asked for this run.
    mine = [n for n, c in enumerate(touches.values("channel")) if codes[c] in wanted]
    records = _named_records(customers, tiers, extra, lang, {ids[n] for n in mine})
    composer = _Composer(records, settings, lang, as_of, sent, touches)
    composer.prepare()
    position = {cid: i for i, cid in enumerate(records.ids)}
    channels = touches.values("channel")
    for n in mine:
        found = position.get(ids[n])
        if found is None:
            composer.errors.append(_not_in_table(raw_ids[n]))
            continue
        composer.deliver(found, codes[channels[n]], str(templates[n] or ""), n)
    return composer.result()


def _wanted_channels(channels: Sequence[str]) -> list[str]:
    """The channels asked for, as codes; an unknown one is an InputError."""
    wanted = [normalise_channel(c) for c in channels]
    for given, code in zip(channels, wanted, strict=True):
        if code not in CHANNELS:
            raise InputError(
                tr(
                    f"渠道「{given}」无效：请用 sms、email、wechat 或 phone",
                    f"channel '{given}' is not valid: use sms, email, wechat or phone",
                )
            )
    return wanted


def _named_records(
    customers: pd.DataFrame,
    tiers: pd.DataFrame | None,
    extra: ExtraFields,
    lang: str,
    named: set[str],
) -> Records:
    """The records of the customers named (a repeated ID means its last row)."""
    # Only the customers the due touches name get a message: their fields alone are
    # prepared (a full sheet has a million customers and a few thousand due touches).
    keys = customer_key_array(customers)
    hits = np.flatnonzero(pd.Index(keys, dtype=object).isin(list(named)))
    rows = hits[~pd.Index(keys[hits], dtype=object).duplicated(keep="last")]
    return build_records(customers.iloc[rows], tiers, extra, lang, keys[rows].tolist())


def _not_in_table(customer_id: Any) -> InputError:
    """The error for a touch whose customer is not in the customer table."""
    return InputError(
        tr(
            f"跟进计划中的客户编号「{customer_id}」不在客户表中",
            f"customer ID '{customer_id}' in the plan is not in the customer table",
        ),
        column="customer_id",
    )
