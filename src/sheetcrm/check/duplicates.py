"""Duplicate customers: the same ID, mobile or e-mail as an earlier row, or a near-identical name
at the same contact person or city (found by :mod:`sheetcrm.check.similar_names`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..book.base import CustomerTable
from .problems import Collector, filled
from .rows import first_of_groups
from .similar_names import name_keys, near_names

__all__ = ["check_duplicates"]


def check_duplicates(
    table: CustomerTable,
    out: Collector,
    text: dict[str, pd.Series],
    mobile: pd.Series,
    kind: pd.Series,
    email: pd.Series,
    similar: pd.Series | None,
) -> None:
    """Rows matching an earlier row by ID, mobile, e-mail or name (``similar``: names matched)."""
    frame = table.frame
    criteria: list[tuple[str, str, str, pd.Series]] = []
    if "id" in frame.columns:
        criteria.append(("id", "客户编号相同", "same customer ID", first_of_groups(text["id"])))
    if "mobile" in frame.columns:
        criteria.append(
            (
                "mobile",
                "手机相同",
                "same mobile",
                first_of_groups(mobile.where(kind == "mobile", "")),
            )
        )
    if "email" in frame.columns:
        criteria.append(("email", "邮箱相同", "same email", first_of_groups(email)))
    criteria.append(
        (
            "name",
            "名称相近",
            "a near-identical name",
            near_names(name_keys(frame, text["name"])) if similar is None else similar,
        )
    )
    rows = np.unique(np.concatenate([found.index.to_numpy() for *_, found in criteria]))
    # One row per criterion: the first row it matches (a sentinel where it matches none).
    heads = np.full((len(criteria), len(rows)), np.iinfo(np.int64).max)
    for heads_of, (*_, found) in zip(heads, criteria, strict=True):
        heads_of[np.searchsorted(rows, found.index.to_numpy())] = found.to_numpy()
    head = heads.min(axis=0)
    matched = heads == head
    # Which criteria name the earliest row, as bits: one text per combination, not per row.
    combination = (matched * (1 << np.arange(len(criteria)))[:, None]).sum(axis=0)
    problem = np.empty(len(rows), dtype=object)
    for bits in np.unique(combination):
        chosen = [c for i, c in enumerate(criteria) if bits >> i & 1]
        zh = "、".join(c[1] for c in chosen)
        en = " and ".join(c[2] for c in chosen)
        at = combination == bits
        problem[at] = filled(
            f"与第 {{}} 行{zh}，可能是重复客户",
            f"{en} as row {{}}: probably a duplicate customer",
            head[at],
        )
    out.add(
        rows,
        np.array([c[0] for c in criteria], dtype=object)[matched.argmax(axis=0)],
        "duplicate",
        (
            problem,
            filled(
                "与第 {} 行核对后合并或删除一行",
                "compare with row {}, then merge or delete one of them",
                head,
            ),
        ),
    )
