"""Phone and e-mail problems: landlines where a mobile is wanted, invalid numbers, malformed
addresses (with the likely fix suggested), by the rules of :mod:`sheetcrm.contacts`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contacts import email_fix, email_texts, emails_ok, normalise_phones
from ..i18n import tr
from .problems import Collector, filled, rows_where

__all__ = ["check_emails", "check_phones"]


def check_phones(frame: pd.DataFrame, out: Collector) -> tuple[pd.Series, pd.Series]:
    """Landlines and invalid numbers in the mobile column; its normalised numbers and kinds."""
    if "mobile" not in frame.columns:
        return (
            pd.Series("", index=frame.index, dtype=object),
            pd.Series("blank", index=frame.index, dtype=object),
        )
    mobile, kind = normalise_phones(frame["mobile"])
    landlines = rows_where(kind == "landline")
    out.add(
        landlines,
        "mobile",
        "landline",
        (
            filled(
                "这是固定电话（{}），不能接收短信",
                "this is a landline ({}) and cannot receive SMS",
                mobile.loc[landlines].to_numpy(dtype=object),
            ),
            tr("补充一个手机号以便发送短信", "record a mobile for SMS"),
        ),
    )
    out.add(
        rows_where(kind == "invalid"),
        "mobile",
        "invalid_mobile",
        (
            tr(
                "不是有效的电话号码（位数或号段不对）",
                "not a valid phone number (wrong length or prefix)",
            ),
            tr(
                "核对后改为 11 位手机号，如 13812345678",
                "check it and enter an 11-digit mobile such as 13812345678",
            ),
        ),
    )
    return mobile, kind


def check_emails(frame: pd.DataFrame, out: Collector) -> tuple[pd.Series, pd.Series]:
    """Malformed addresses in the e-mail column; its addresses as text and whether each is fine."""
    if "email" in frame.columns:
        email = email_texts(frame["email"])
    else:
        email = pd.Series("", index=frame.index, dtype=object)
    # Addresses repeat (blanks above all): each distinct one is judged once.
    codes, addresses = pd.factorize(email.to_numpy(dtype=object))
    address_ok = emails_ok(addresses) if len(addresses) else np.array([], dtype=bool)
    email_ok = pd.Series(address_ok[codes], index=frame.index)
    fixes = {value: email_fix(value) for value in addresses[~address_ok] if value}
    malformed = rows_where((email != "") & ~email_ok)
    fix = np.array([fixes.get(value) for value in email.loc[malformed]], dtype=object)
    # Objects: a fixed-width text array would cut a longer suggestion put into it.
    suggestion = np.empty(len(malformed), dtype=object)
    suggestion[:] = tr("改为 name@example.com 这样的格式", "write it like name@example.com")
    fixed = fix != None  # noqa: E711 - element-wise
    suggestion[fixed] = filled("是否应为 {}？", "did you mean {}?", fix[fixed])
    out.add(
        malformed,
        "email",
        "invalid_email",
        (tr("邮箱格式不对", "the email address is malformed"), suggestion),
    )
    return email, email_ok
