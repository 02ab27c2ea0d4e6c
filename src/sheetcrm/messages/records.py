"""Customers as template fields: typed columns of plain values, derived fields made on demand.

A template reads ``customer.<field>``: a role, a tier result, a derived field (salutation,
amount_text…) or an extra field the caller names (``ExtraFields``: other names for role
fields, and columns as read). Columns are converted only when a template reads them, and
formatting runs once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..contacts import mask_phone, normalise_phones, valid_emails
from ..roles import CUSTOMER_ROLES
from ..schedule.columns import trimmed
from . import filters

__all__ = [
    "ExtraFields",
    "Records",
    "Touches",
    "build_records",
    "cached",
    "customer_key_array",
    "customer_keys",
    "id_text",
]

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
_LABEL_FIELDS = ("tier", "tier_code", "segment_cn", "segment_en", "stage", "change")
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


@dataclass(frozen=True)
class ExtraFields:
    """Fields beyond roles and results: other names for role fields, and columns as read."""

    aliases: Mapping[str, str] = field(default_factory=dict)  # name -> the role it reads, typed
    columns: pd.DataFrame | None = None  # more fields by name, indexed like the customers

    @property
    def shown(self) -> dict[str, str]:
        """Role -> the name a person knows it by, for the missing-fields column."""
        return {role: name for name, role in self.aliases.items()}


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
    values: list[Any] = table[codes].tolist()
    return values


def id_text(value: Any) -> str:
    """A customer ID as text: whole numbers without '.0', blank as ''."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def cached(func: Any, columns: Sequence[list[Any]], *args: Any) -> list[Any]:
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
    """A date as people write it, None when blank."""
    return filters.date_text(value, lang) or None


def _labels_of(*values: Any) -> frozenset[str]:
    """The selection labels of one customer: tier, segment, stage, change (+ churn warning)."""
    *names, churn = values
    found = {str(v).strip().casefold() for v in names if v is not None and str(v).strip()}
    return frozenset(found | ({"流失预警", "churn"} if churn is True else set()))


@dataclass
class Records:
    """The customers as columns of plain values, with derived fields computed on demand."""

    ids: list[str]
    names: list[str]
    rows: list[int]
    fields: dict[str, list[Any]]
    derived: dict[str, Callable[[], list[Any]]]
    labels: list[frozenset[str]]
    opted_out: list[bool]
    to: dict[str, list[str]]
    shown: dict[str, str]  # field -> the name shown in the missing-fields column

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


def customer_keys(customers: pd.DataFrame) -> list[str]:
    """Each customer's key as the plan engine makes it: the ID as text, else the Excel row."""
    keys: list[str] = customer_key_array(customers).tolist()
    return keys


def customer_key_array(customers: pd.DataFrame) -> np.ndarray:
    """:func:`customer_keys` as an object array (no list of a million keys to convert back)."""
    rows = customers.index
    if "id" not in customers.columns:
        return np.array([str(int(r)) for r in rows], dtype=object)
    column = customers["id"]
    if pd.api.types.infer_dtype(column, skipna=True) != "string":  # numbers, mixed
        return np.array(
            [
                (v.strip() if v.__class__ is str else id_text(v)) or str(int(r))
                for v, r in zip(_column(column), rows, strict=True)
            ],
            dtype=object,
        )
    # Text IDs, the usual case, trimmed string by string (a fresh array, written below).
    keys: np.ndarray = trimmed(column.to_numpy(dtype=object))[0]
    blank = keys == ""
    keys[blank] = [str(int(r)) for r in rows[blank]]
    return keys


class Touches:
    """The plan's due touches as columns of plain values (blank: None), each converted when
    first read; a touch's dict of non-blank values is made only for templates that read it."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame, self.count = frame, len(frame)
        self.columns: dict[str, list[Any]] = {}

    def values(self, name: str) -> list[Any]:
        """A column's values, all None where the frame has no such column."""
        if name not in self.columns:
            found = [c for c in self.frame.columns if str(c) == name]
            self.columns[name] = _column(self.frame[found[-1]]) if found else [None] * self.count
        return self.columns[name]

    def record(self, n: int) -> dict[str, Any]:
        """Touch n's non-blank values, keyed by column name."""
        columns = {str(c): self.values(str(c)) for c in self.frame.columns}
        return {k: v[n] for k, v in columns.items() if v[n] is not None}


class _Converted:
    """Frame columns as plain values, each converted once and only when first read."""

    def __init__(self, n: int) -> None:
        self.blank: list[Any] = [None] * n
        self.memo: dict[tuple[int, str], list[Any]] = {}

    def __call__(self, frame: pd.DataFrame, name: str, kind: str = "") -> list[Any]:
        """The column's plain values (all blank when the frame has no such column)."""
        if name not in frame.columns:
            return self.blank
        key = (id(frame), name)
        if key not in self.memo:
            self.memo[key] = _column(frame[name], kind)
        return self.memo[key]


def build_records(
    customers: pd.DataFrame,
    tiers: pd.DataFrame | None,
    extra: ExtraFields,
    lang: str,
    ids: list[str] | None = None,
) -> Records:
    """The customers' fields as columns (``ids``: their keys, when already made)."""
    convert = _Converted(len(customers))
    ids = customer_keys(customers) if ids is None else ids
    fields: dict[str, list[Any]] = {"customer_id": list(ids)}
    person = [
        c if c is not None else nm
        for c, nm in zip(convert(customers, "contact"), convert(customers, "name"), strict=True)
    ]
    fields["display_name"] = person
    blank = pd.Series("", index=customers.index, dtype=object)
    number, kind = (
        normalise_phones(customers["mobile"]) if "mobile" in customers else (blank, blank)
    )
    # By the contact rules: SMS and WeChat reach mobiles only, a call any valid number.
    mobiles = number.where(kind == "mobile", "").tolist()
    dialable = number.where(kind.isin(("mobile", "landline")), "").tolist()
    emails = valid_emails(customers["email"]).tolist() if "email" in customers else blank.tolist()
    derived = _customer_fields(customers, convert, person, dialable, lang)
    labels = _tier_fields(derived, tiers, customers.index, convert, lang)
    _extra_fields(fields, derived, extra, customers.index, convert)
    return Records(
        ids=ids,
        names=[
            str(nm) if nm is not None else str(p or "")
            for nm, p in zip(convert(customers, "name"), person, strict=True)
        ],
        rows=[int(r) for r in customers.index],
        fields=fields,
        derived=derived,
        labels=labels,
        opted_out=[bool(v) for v in convert(customers, "opt_out")],
        to={"sms": mobiles, "wechat": mobiles, "phone": dialable, "email": emails},
        shown=extra.shown,
    )


def _customer_fields(
    customers: pd.DataFrame,
    convert: _Converted,
    person: list[Any],
    numbers: list[str],
    lang: str,
) -> dict[str, Callable[[], list[Any]]]:
    """The roles (typed) and the fields formatted from them, each made when first read."""
    derived: dict[str, Callable[[], list[Any]]] = {
        info.role: partial(convert, customers, info.role, info.kind)
        for info in CUSTOMER_ROLES
        if info.role in customers.columns
    }
    title = convert(customers, "title")
    derived["salutation"] = lambda: cached(filters.salutation, (person, title), lang)
    # Only numbers that read as one are shown masked; the rest are blank.
    derived["mobile_masked"] = lambda: [mask_phone(v) if v else None for v in numbers]
    if "amount" in customers.columns:
        amounts = derived["amount"]
        derived["amount_text"] = lambda: [
            None if v is None else filters.money(v) for v in amounts()
        ]
    for role in ("first_purchase", "last_purchase"):
        if role in customers.columns:
            derived[f"{role}_text"] = partial(
                lambda r: cached(_date_or_none, (convert(customers, r),), lang), role
            )
    return derived


def _tier_fields(
    derived: dict[str, Callable[[], list[Any]]],
    tiers: pd.DataFrame | None,
    index: pd.Index,
    convert: _Converted,
    lang: str,
) -> list[frozenset[str]]:
    """Add the tier results to the derived fields; each customer's selection labels."""
    if tiers is None or not len(tiers):
        return [frozenset()] * len(index)
    tiers = tiers.reindex(index)
    for name in _TIER_FIELDS:
        if name in tiers.columns:
            derived[name] = partial(convert, tiers, name)
    segment = "segment_cn" if lang == "zh" else "segment_en"
    if segment in tiers.columns:
        derived["segment"] = derived[segment]
    label_columns = [convert(tiers, c) for c in _LABEL_FIELDS if c in tiers.columns]
    return cached(_labels_of, (*label_columns, convert(tiers, "churn_risk")))


def _extra_fields(
    fields: dict[str, list[Any]],
    derived: dict[str, Callable[[], list[Any]]],
    extra: ExtraFields,
    index: pd.Index,
    convert: _Converted,
) -> None:
    """Add the extra fields: an alias reads its role's typed value; no name hides another."""
    for name, role in extra.aliases.items():
        if role in fields and name not in fields:
            fields[name] = fields[role]
        elif role in derived and name not in derived:
            derived[name] = derived[role]
    if extra.columns is None:
        return
    columns = extra.columns.reindex(index)
    for name in columns.columns:
        text = str(name)
        if text not in fields and text not in derived:
            derived[text] = partial(convert, columns, name)
