"""The tier results in the customer sheet and the tier summary sheet (分级汇总).

The result columns' headers (one set per language, fixed: the writer replaces a column on
re-runs by its header text) and the summary's layout live here; the engine
(:func:`sheetcrm.tiering.tier_customers`) returns a frame by role and never sees them.

Columns staff add to the summary (a header in its first row, beside the tables or right of
the migration matrix) follow their rows from run to run (:mod:`.carry`): a row is known by
its section and group, names read in either language (tiers by their settings).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext

import numpy as np
import pandas as pd

from ..book.base import CellValue, ChartSeries, ChartSpec, CustomerTable, ResultColumn, SheetSpec
from ..i18n import Lang, tr, use_lang
from ..schedule.columns import cell_text
from ..tiering.lifecycle import STAGES
from ..tiering.rfm import CN_SEGMENTS, EN_SEGMENTS
from ..tiering.settings import Tier
from ..tiering.tier import NEW, each_text_once
from .carry import Carried, Keyer, OurColumns, carry, cell_at, read_staff

__all__ = [
    "HEADERS",
    "REASON_WIDTH",
    "SUMMARY_SHEET",
    "forget_old_results",
    "old_result_headers",
    "previous_tiers",
    "result_columns",
    "summary_notes",
    "summary_sheet",
]

SUMMARY_SHEET = "分级汇总"

# Result column → (Chinese header, English header, number format). Headers are fixed per
# language because the writer replaces a column on re-runs by its header text.
HEADERS: dict[str, tuple[str, str, str | None]] = {
    "tier": ("客户等级", "Tier", None),
    "tier_code": ("等级代码", "Tier code", None),
    "score": ("分级得分", "Tier score", "0.#"),
    "r": ("R分", "R score", "0"),
    "f": ("F分", "F score", "0"),
    "m": ("M分", "M score", "0"),
    "rfm": ("RFM", "RFM", "@"),
    "segment_cn": ("RFM八类分群", "RFM 8-segment", None),
    "segment_en": ("RFM细分", "RFM segment", None),
    "stage": ("生命周期", "Lifecycle stage", None),
    "p_alive": ("存活概率", "P(alive)", "0.0%"),
    "expected_90d": ("预计90天购买", "Expected purchases 90d", "0.00"),
    "churn_risk": ("流失预警", "Churn risk", None),
    "reason": ("分级原因", "Tier reason", None),
    "change": ("等级变化", "Tier change", None),
}
_MATRIX_COLUMN = 6  # column G: the migration matrix
REASON_WIDTH = 60.0  # characters: most reasons fit on one line
# The summary's segment and stage rows in the models' order, names in either language.
_CN_ORDER = [name for _, zh, en in CN_SEGMENTS.values() for name in (zh, en)]
_EN_ORDER = [name for en, zh in EN_SEGMENTS.values() for name in (en, zh)]
_STAGE_ORDER = [name for zh, en in STAGES.values() for name in (zh, en)]
_SECTIONS = {
    "tier": ("客户等级", "Tier"),
    "segment_cn": ("RFM八类分群", "RFM 8-segment"),
    "segment_en": ("RFM细分", "RFM segment"),
    "stage": ("生命周期", "Lifecycle stage"),
}
_CUSTOMERS = ("客户数", "Customers")  # the header that makes a row a section's header row
_STAT_HEADERS = (
    _CUSTOMERS,
    ("客户占比", "Share"),
    ("累计金额", "Revenue"),
    ("金额占比", "Revenue share"),
)
_TOTAL, _BLANK = ("合计", "Total"), ("（空）", "(blank)")
_CORNER = ("上次 ＼ 本次", "previous ＼ now")
_SUMMARY = OurColumns(
    {
        "group": _SECTIONS["tier"],
        **{f"stat{i}": texts for i, texts in enumerate(_STAT_HEADERS)},
        "matrix": _CORNER,
    }
)


def _cells(series: pd.Series) -> list[CellValue]:
    """The values as Python scalars, blanks (NaN, NA, NaT) as None."""
    if series.dtype == object:
        values = series.to_numpy()  # not changed below: the texts' own array, no copy
        # Texts throughout (tiers, reasons): one type check per cell, far cheaper than isna.
        if pd.api.types.infer_dtype(values, skipna=False) == "string":
            texts: list[CellValue] = values.tolist()
            return texts
    blank = series.isna().to_numpy()  # typed: far cheaper than on the objects below
    values = series.astype(object).to_numpy(copy=True)
    if blank.any():
        values[blank] = None
    cells: list[CellValue] = values.tolist()
    return cells


def _width(key: str, header: str) -> float:
    """A result column's width: its header's (a Chinese character is two wide), the reason's
    long enough to read a whole reason."""
    if key == "reason":
        return REASON_WIDTH
    return float(max(8, sum(2 if ord(ch) > 0x2E80 else 1 for ch in header) + 3))


def result_columns(results: pd.DataFrame, lang: Lang | None = None) -> list[ResultColumn]:
    """The result columns with headers in the workbook's language, ready to write."""
    with use_lang(lang) if lang else nullcontext():
        columns = []
        for key, (zh, en, number_format) in HEADERS.items():
            values = results[key]
            if key == "churn_risk":
                values = values.map({True: tr("是", "yes"), False: ""})
            header = tr(zh, en)
            # A run in the other language writes over this one's columns (book.placement).
            columns.append(ResultColumn(header, _cells(values), number_format, _width(key, header)))
        return columns


def old_result_headers() -> frozenset[str]:
    """The headers of the result columns a run writes anew, in either language: all but the
    tier, which the next run reads for the migration."""
    tiers = set(HEADERS["tier"][:2])
    return frozenset(
        header for zh, en, _ in HEADERS.values() for header in (zh, en) if header not in tiers
    )


def forget_old_results(table: CustomerTable) -> CustomerTable:
    """The table without the result columns a previous run wrote in its raw values (all but
    the tiers, kept for the migration): this run writes them anew, and on a full sheet they
    are a gigabyte of memory. (A file book does not even read them: ``old_result_headers``.)"""
    old = [header for header in table.raw.columns if header in old_result_headers()]
    return dataclasses.replace(table, raw=table.raw.drop(columns=old)) if old else table


def previous_tiers(table: CustomerTable) -> pd.Series | None:
    """The tier column a previous run wrote into the table (either language), if any."""
    zh, en, _ = HEADERS["tier"]
    for header in (zh, en):
        if header in table.raw.columns:
            values = each_text_once(table.raw[header], lambda texts: texts.str.strip())
            return values.where(values != "")
    return None


def summary_sheet(
    customers: pd.DataFrame,
    results: pd.DataFrame,
    previous: pd.Series | None = None,
    staff: Carried | None = None,
) -> SheetSpec:
    """The summary sheet: customers and revenue per tier and segment, and the migration matrix;
    ``staff`` (:func:`summary_notes`) carried over."""
    amount = (
        pd.to_numeric(customers["amount"], errors="coerce").fillna(0.0)
        if "amount" in customers
        else pd.Series(0.0, index=customers.index)
    ).reindex(results.index, fill_value=0.0)
    total_n, total_amount = len(results), float(amount.sum())
    header = [tr(zh, en) for zh, en in _STAT_HEADERS]
    rows: list[list[CellValue]] = []
    bold: list[tuple[int, int]] = []

    def section(title: str, groups: pd.Series, order: Sequence[str] = ()) -> None:
        bold.extend((len(rows), c) for c in range(5))
        rows.append([title, *header])
        stats = pd.DataFrame({"g": groups.fillna(tr(*_BLANK)), "a": amount})
        grouped = stats.groupby("g", sort=False)["a"].agg(["size", "sum"])
        # In the model's own order (best first); names staff renamed, and blanks, after.
        rank = {name: i for i, name in enumerate(order)}
        grouped = grouped.iloc[
            sorted(range(len(grouped)), key=lambda i: rank.get(grouped.index[i], len(rank)))
        ]
        for name, (count, revenue) in grouped.iterrows():
            rows.append(
                [
                    str(name),
                    int(count),
                    count / total_n if total_n else 0.0,
                    float(revenue),
                    revenue / total_amount if total_amount else 0.0,
                ]
            )
        rows.append(
            [
                tr(*_TOTAL),
                total_n,
                1.0 if total_n else 0.0,
                total_amount,
                1.0 if total_amount else 0.0,
            ]
        )
        rows.append([])

    by_code = _by_code(results)
    section(tr(*_SECTIONS["tier"]), by_code)
    tier_rows = len(rows) - 3
    section(tr(*_SECTIONS["segment_cn"]), results["segment_cn"], _CN_ORDER)
    section(tr(*_SECTIONS["segment_en"]), results["segment_en"], _EN_ORDER)
    section(tr(*_SECTIONS["stage"]), results["stage"], _STAGE_ORDER)

    # The migration matrix sits to the right (from column G) so column formats stay per section.
    tiers = list(dict.fromkeys(by_code))
    before = (
        previous.reindex(results.index).astype(object).where(lambda s: s.notna(), NEW)
        if previous is not None
        else pd.Series(NEW, index=results.index)
    )
    matrix = pd.crosstab(before, results["tier"]).reindex(columns=tiers, fill_value=0)
    known = [t for t in tiers if t in matrix.index]
    matrix = matrix.loc[known + [name for name in matrix.index if name not in known]]
    grid: list[list[CellValue]] = [[tr(*_CORNER), *tiers]]
    grid += [[str(name), *(int(v) for v in counts)] for name, counts in matrix.iterrows()]
    rows += [[] for _ in range(len(grid) - len(rows))]
    for i, line in enumerate(grid):
        rows[i] = [*rows[i], *[None] * (_MATRIX_COLUMN - len(rows[i])), *line]
    bold.extend((0, _MATRIX_COLUMN + c) for c in range(len(tiers) + 1))
    if staff is not None:
        rows = carry(rows, staff)
    chart = ChartSpec(
        kind="column",
        title=tr("各等级客户数", "Customers per tier"),
        categories=f"A2:A{tier_rows + 1}",
        series=[ChartSeries(header[0], f"B2:B{tier_rows + 1}")],
        anchor=f"A{len(rows) + 2}",
    )
    return SheetSpec(
        name=SUMMARY_SHEET,
        rows=rows,
        header_rows=1,
        widths={0: 22, 1: 12, 2: 12, 3: 16, 4: 12, _MATRIX_COLUMN: 18},
        number_formats={2: "0.0%", 3: "#,##0.00", 4: "0.0%"},
        autofilter=False,
        bold_cells=bold,
        charts=[chart],
    )


def _by_code(results: pd.DataFrame) -> pd.Series:
    """The tier column sorted by tier code (stable), without sorting the other columns."""
    codes, distinct = pd.factorize(results["tier_code"].to_numpy(dtype=object))
    place = np.empty(len(distinct), dtype=np.int64)  # each code's place in sorted order
    place[np.argsort(distinct, kind="stable")] = np.arange(len(distinct))
    return results["tier"].iloc[np.argsort(place[codes], kind="stable")]


def summary_notes(
    grid: Sequence[Sequence[CellValue]] | None, tiers: Iterable[Tier] = ()
) -> Carried:
    """The columns staff added to the previous 分级汇总 sheet, by section and group (tier
    names read in either language by the tiers of the settings)."""
    return read_staff(grid, _SUMMARY, _summary_keys(tiers), skip=_matrix_columns(grid or []))


def _summary_keys(tiers: Iterable[Tier]) -> Keyer:
    """The summary's row keys: (section, group), names the same in either language."""
    names = _canonical_names(tiers)

    def canonical(value: CellValue) -> str:
        text = cell_text(value)
        return names.get(text.casefold(), text)

    def keys(rows: Sequence[Mapping[str, CellValue]]) -> list[tuple[str, str]]:
        section, found = "", []
        for fields in rows:
            group = canonical(fields.get("group"))
            if cell_text(fields.get("stat0")) in _CUSTOMERS:  # a section's header row
                section, group = group, "\0header"
            found.append((section, group))
        return found

    return keys


def _canonical_names(tiers: Iterable[Tier]) -> dict[str, str]:
    """Every name the summary shows, in either language, → one name for both."""
    pairs: list[Sequence[str]] = [*_SECTIONS.values(), _TOTAL, _BLANK]
    pairs += [(zh, en) for _, zh, en in CN_SEGMENTS.values()]
    pairs += [(zh, en) for en, zh in EN_SEGMENTS.values()]
    pairs += list(STAGES.values())
    pairs += [(t.code, t.label_zh, t.label_en) for t in tiers]
    return {name.casefold(): pair[0] for pair in pairs for name in pair}


def _matrix_columns(grid: Sequence[Sequence[CellValue]]) -> set[int]:
    """The migration matrix's tier columns in a previous summary: right of its corner, each
    with a count in every row of the matrix (a staff column beside it has notes)."""
    top = list(grid[0]) if grid else []
    if len(top) <= _MATRIX_COLUMN or _SUMMARY.field_of(top[_MATRIX_COLUMN]) != "matrix":
        return set()
    height = 1
    while height < len(grid) and cell_text(cell_at(grid[height], _MATRIX_COLUMN)):
        height += 1
    columns: set[int] = set()
    for column in range(_MATRIX_COLUMN + 1, len(top)):
        counts = [cell_at(grid[r], column) for r in range(1, height)]
        if not cell_text(top[column]) or not all(isinstance(v, int | float) for v in counts):
            break
        columns.add(column)
    return columns
