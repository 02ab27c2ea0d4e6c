"""Worksheet functions for messages: render a template for one row, SMS length and parts.

``CRM_RENDER`` runs the same engine as ``sheetcrm messages`` on a one-row table
built from the header row and the customer's row, with the default [sms]
settings and the bundled templates (a worksheet function cannot read the
workbook's settings or 消息模板 sheets).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import xlwings as xw

from ..errors import SheetCRMError
from ..i18n import tr
from ..messages import ExtraFields, MessageSettings, compose_messages, sms_length
from ..messages.filters import salutation
from ..roles import RoleInfo, role_info
from ..schedule import STATUS_OPEN
from ..table.header_row import match_roles
from ..values import parse_bool, parse_date, parse_number
from .convert import error, flatten, text_arg

__all__ = ["CRM_RENDER", "CRM_SALUTATION", "CRM_SMS_LENGTH", "CRM_SMS_PARTS"]


def _typed(info: RoleInfo, value: Any) -> Any:
    if info.kind in ("number", "integer"):
        number = parse_number(value)
        return int(number) if info.kind == "integer" and number is not None else number
    if info.kind == "date":
        return parse_date(value)
    if info.kind == "bool":
        return parse_bool(value)
    return text_arg(value) or None


def _lang(value: Any) -> str:
    return "en" if text_arg(value).lower().startswith("en") else "zh"


@xw.func
def CRM_RENDER(  # noqa: N802 - worksheet function names are upper case
    template_key: Any, channel: Any, header_range: Any, value_range: Any, lang: Any = "zh"
) -> str:
    """The message a template gives for one customer row (header row + that customer's row)."""
    headers = [text_arg(h) for h in flatten(header_range)]
    values = flatten(value_range)
    if len(headers) != len(values):
        return error(
            "#VALUE!",
            tr(
                f"表头有 {len(headers)} 格，客户行有 {len(values)} 格：两者须一样宽",
                f"the header has {len(headers)} cells and the row {len(values)}: make them the same width",
            ),
        )
    # Headers name roles as the customer sheet's reader matches them (left-most wins).
    labels = match_roles(headers)
    role_of = {header: role for role, header in labels.items()}
    typed: dict[str, Any] = {}
    for header, value in zip(headers, values, strict=True):
        role = role_of.get(header)
        if role is None or role in typed:
            continue
        info = role_info(role)
        try:
            typed[info.role] = _typed(info, value)
        except ValueError as exc:
            return error("#VALUE!", f"{header}: {exc}")
    typed.setdefault("id", "1")
    customers = pd.DataFrame({role: [value] for role, value in typed.items()}, index=[2])
    raw = pd.DataFrame({h: [v] for h, v in zip(headers, values, strict=True) if h}, index=[2])
    today = dt.date.today()
    code = text_arg(channel).lower()
    plan = pd.DataFrame(
        {
            "customer_id": [str(typed["id"])],
            "channel": [code],
            "template": [text_arg(template_key)],
            "status": [STATUS_OPEN],
            "due": [today],
        }
    )
    try:
        result = compose_messages(
            customers,
            None,
            MessageSettings(),
            plan=plan,
            extra=ExtraFields(aliases={h: role for role, h in labels.items()}, columns=raw),
            lang=_lang(lang),
            as_of=today,
            channels=(code,),
        )
    except SheetCRMError as exc:
        return error("#VALUE!", str(exc))
    if not len(result.messages):
        reason = str(result.skipped["reason"].iloc[0]) if len(result.skipped) else ""
        return error("#N/A", reason or tr("没有生成消息", "no message"))
    row = result.messages.iloc[0]
    return f"{row['subject']}\n\n{row['body']}" if row["subject"] else str(row["body"])


@xw.func
def CRM_SMS_LENGTH(text: Any) -> int:  # noqa: N802
    """Characters of an SMS as Chinese carriers count them (signature included if in the text)."""
    return sms_length(text_arg(text)).chars


@xw.func
def CRM_SMS_PARTS(text: Any, international: Any = False) -> int:  # noqa: N802
    """How many messages an SMS is billed as (China 70/67; international GSM-7 160/153, UCS-2 70/67)."""
    return sms_length(text_arg(text), bool(parse_bool(international))).parts


@xw.func
def CRM_SALUTATION(name: Any, title: Any = None, lang: Any = "zh") -> str:  # noqa: N802
    """How to address a person: 张总, 张先生/张女士, the full name, or 尊敬的客户."""
    return salutation(text_arg(name), text_arg(title), _lang(lang))
