"""The data check (数据检查) of a customer table: contacts, required fields, ranges, duplicates.

Pure pandas over a :class:`CustomerTable`; every finding is a :class:`Problem` naming the sheet,
Excel row and the user's own header, with a suggested fix. Work is done on unique values (phones,
emails, names) so that 100,000 customers take a second or two.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from ..book.base import CustomerTable
from .contact_details import check_emails, check_phones
from .duplicates import check_duplicates
from .problems import Collector, Problems, kind_counts
from .rows import role_texts
from .values import check_ranges, check_required

__all__ = ["CheckResult", "check_customers"]


@dataclass
class CheckResult:
    """What the data check found: problems (as columns), cleaned contact columns, counts per kind."""

    problems: Problems
    cleaned: pd.DataFrame
    summary: dict[str, int]


def check_customers(
    table: CustomerTable,
    transactions: pd.DataFrame | None = None,
    *,
    today: dt.date | None = None,
    similar: pd.Series | None = None,
) -> CheckResult:
    """Check the customer table for bad contacts, missing fields, bad ranges and duplicates.

    ``similar``: what :func:`near_names` found, if it ran already (in a worker process).
    """
    del transactions  # accepted for the jobs' signature; transaction rows are checked by the reader
    today = today or dt.date.today()
    frame = table.frame
    out = Collector(table)
    mobile, kind = check_phones(frame, out)
    email, email_ok = check_emails(frame, out)
    text = {role: role_texts(frame, role) for role in ("id", "name")}
    check_required(table, out, text, kind == "blank", email == "")
    check_ranges(table, out, today)
    check_duplicates(table, out, text, mobile, kind, email, similar)
    cleaned = pd.DataFrame(
        {"mobile": mobile, "mobile_kind": kind, "email": email, "email_ok": email_ok},
        index=frame.index,
    )
    problems = out.problems
    return CheckResult(problems=problems, cleaned=cleaned, summary=dict(kind_counts(problems)))
