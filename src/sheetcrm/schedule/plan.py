"""The follow-up plan (跟进计划): one row per touch, merged with what staff recorded.

Touch ids. A touch's id is a short hash of the customer ID, the step key
(``applies-to#step``) and the *nominal* due date, i.e. the date the cadence
asks for before capacity levelling and before an overdue touch is pulled up to
today. Levelling therefore never changes an id, and a re-run on another day
finds the same rows as long as nothing the cadence depends on changed. One-off
steps (no repeat) are matched by customer and step instead, so a win-back call
planned "two working days after the risk is seen" is planned once, not anew
every day.

Re-running. Rows are matched by id. Staff fields (status, done date, notes and
any columns staff added) are kept; the plan's own fields are refreshed. Done
and skipped rows are history and stay as they are; open rows the new plan no
longer contains are marked 已取消 with the reason (never deleted); rows staff
typed in by hand (no id) are kept untouched, and their open ones count against
their rep's capacity that day. Open rows due beyond the new
horizon are left alone.

A one-off step whose date passed less than :data:`CATCH_UP_WORKDAYS` working
days ago (say the welcome SMS of a customer who bought last Friday) is still
planned, for today; older ones are not.

The last completed contact is the latest done date of the customer's 已完成
touches *on the step's channel*, else the last purchase, else the first
purchase. Per channel, because a weekly call must not push the quarterly visit
out for ever; a done call still pushes the next call, whichever tier asked for it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat

import numpy as np
import pandas as pd

from ..a1 import column_letter
from ..book.base import CellValue, ConditionalFill, ListValidation, SheetSpec
from ..errors import InputError, SettingsError
from ..i18n import tr, use_lang
from ..settings import Block, Settings, register
from ..values import is_blank, mostly_distinct, parse_bool, parse_date, parse_number
from .cadence import (
    CHANNELS,
    CHURN,
    NEW,
    NEW_CUSTOMER_DAYS,
    TEMPLATE_KEYS,
    CadenceStep,
    channel_key,
    channel_label,
    match_groups,
    parse_terms,
)
from .capacity import DEFAULT_CAPACITY, Rep, assign_owners, level
from .workdays import WorkCalendar

__all__ = [
    "CATCH_UP_WORKDAYS",
    "PLAN_SHEET",
    "STATUSES",
    "STATUS_CANCELLED",
    "STATUS_DONE",
    "STATUS_OPEN",
    "STATUS_SKIPPED",
    "TOUCH_COLUMNS",
    "PlanResult",
    "PlanSettings",
    "build_plan",
    "parse_plan_settings",
    "parse_plan_sheet",
    "plan_rows",
    "plan_sheet",
    "status_label",
    "touch_id",
    "touch_ids",
    "work_calendar",
]

PLAN_SHEET = "跟进计划"
CATCH_UP_WORKDAYS = 5  # one-off steps missed by up to this many working days are still planned
STATUS_OPEN, STATUS_DONE, STATUS_SKIPPED, STATUS_CANCELLED = "待跟进", "已完成", "已跳过", "已取消"
STATUSES: dict[str, str] = {  # canonical (stored) status → English label
    STATUS_OPEN: "Open",
    STATUS_DONE: "Done",
    STATUS_SKIPPED: "Skipped",
    STATUS_CANCELLED: "Cancelled",
}
_STATUS_ALIASES = {
    **{zh: zh for zh in STATUSES},
    **{en.lower(): zh for zh, en in STATUSES.items()},
    "完成": STATUS_DONE,
    "已跟进": STATUS_DONE,
    "completed": STATUS_DONE,
    "todo": STATUS_OPEN,
    "to do": STATUS_OPEN,
    "pending": STATUS_OPEN,
    "跳过": STATUS_SKIPPED,
    "skip": STATUS_SKIPPED,
    "取消": STATUS_CANCELLED,
    "canceled": STATUS_CANCELLED,
}

# (key, Chinese header, English header) in sheet order; the flag column is computed.
_SHEET_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("touch_id", "编号", "Touch ID"),
    ("customer_id", "客户编号", "Customer ID"),
    ("customer", "客户", "Customer"),
    ("contact", "联系人", "Contact"),
    ("owner", "负责人", "Owner"),
    ("channel", "渠道", "Channel"),
    ("due", "跟进日期", "Due"),
    ("purpose", "目的", "Purpose"),
    ("template", "模板", "Template"),
    ("priority", "优先级", "Priority"),
    ("status", "状态", "Status"),
    ("done_date", "完成日期", "Done date"),
    ("notes", "备注", "Notes"),
    ("flag", "提醒", "Flag"),
    ("step", "步骤", "Step"),
    ("cancel_reason", "取消原因", "Cancel reason"),
)
TOUCH_COLUMNS = tuple(key for key, _, _ in _SHEET_COLUMNS if key != "flag")
_HEADER_KEYS = {
    text.lower(): key for key, zh, en in _SHEET_COLUMNS for text in (zh, en, f"{zh} {en}", key)
}

HOLIDAYS = register(
    Block(
        key="holidays",
        title_zh="节假日调整",
        title_en="Holiday adjustments",
        columns=(("date", "日期 Date"), ("type", "类型 Type"), ("note", "说明 Note")),
        defaults=(),
        help=(
            "官方假日与调休已内置；这里只写公司自己的额外休息日（休息 off）或额外上班日（上班 work） · "
            "official holidays and make-up days are built in; list only your own extra days "
            "off (休息 off) or extra working days (上班 work)"
        ),
        order=22,
    )
)
_OFF = {"休息", "off", "休", "假", "holiday"}
_WORK = {"上班", "work", "班", "workday"}


@dataclass(frozen=True)
class PlanSettings:
    """Cadences, reps and extra calendar days from the settings sheet."""

    steps: tuple[CadenceStep, ...]
    reps: tuple[Rep, ...] = ()
    extra_off: tuple[dt.date, ...] = ()
    extra_work: tuple[dt.date, ...] = ()


@dataclass
class PlanResult:
    """The plan's touches (all rows of the sheet), what did not fit, and warnings.

    What did not fit is given as a frame, or as a function making it when first asked for:
    on a big list it is millions of rows, and a run only counts them (``beyond_capacity``).
    """

    touches: pd.DataFrame
    _unplaced: pd.DataFrame | Callable[[], pd.DataFrame]
    warnings: list[str] = field(default_factory=list)
    as_of: dt.date | None = None
    extra_columns: list[str] = field(default_factory=list)
    beyond_capacity: int = -1  # the number of unplaced touches (-1: count the frame)

    def __post_init__(self) -> None:
        if self.beyond_capacity < 0:
            self.beyond_capacity = len(self.unplaced)

    @property
    def unplaced(self) -> pd.DataFrame:
        """The touches that did not fit the reps' capacity within the horizon."""
        if callable(self._unplaced):
            self._unplaced = self._unplaced()
        return self._unplaced


def touch_id(customer_id: str, step_key: str, nominal_due: dt.date) -> str:
    """The stable id of a touch: a short hash of customer, step key and nominal due date."""
    ids = touch_ids(
        np.array([customer_id], dtype=object),
        np.array([step_key], dtype=object),
        np.array([nominal_due.toordinal()]),
    )
    return str(ids[0])


_HEX = np.array(list("0123456789abcdef"))
_SHIFTS = np.arange(60, 20, -4, dtype=np.uint64)  # the top 40 bits, one hex digit each


def touch_ids(customer_ids: np.ndarray, step_keys: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Touch ids for whole columns: 'T' and 10 hex digits of a keyed SipHash of the parts.

    ``pandas.util.hash_array`` hashes with a fixed key, so ids are the same in every
    process and on every machine.
    """
    return _hashed_ids(_text_hash(customer_ids), _text_hash(step_keys), nominal)


def _text_hash(values: np.ndarray) -> np.ndarray:
    """The fixed-key hash of each value as text (a part of a touch id)."""
    # categorize=False: the same hashes, without first finding the distinct values.
    return pd.util.hash_array(values.astype(str).astype(object), categorize=False)


def _hashed_ids(
    customer_hash: np.ndarray, step_hash: np.ndarray, nominal: np.ndarray
) -> np.ndarray:
    """Touch ids from the hashes of their customer IDs and step keys (see :func:`touch_ids`)."""
    if len(customer_hash) == 0:
        return np.empty(0, dtype=object)
    with np.errstate(over="ignore"):
        mixed = (
            customer_hash
            ^ step_hash * np.uint64(0x9E3779B97F4A7C15)
            ^ nominal.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        )
        digest = pd.util.hash_array(mixed)
    digits = _HEX[((digest[:, None] >> _SHIFTS[None, :]) & np.uint64(15)).astype(np.intp)]
    letters = np.concatenate([np.full((len(digest), 1), "T"), digits], axis=1)
    return np.ascontiguousarray(letters).view("<U11").ravel().astype(object)


@functools.lru_cache(maxsize=16)
def work_calendar(
    country: str = "CN", extra_off: tuple[dt.date, ...] = (), extra_work: tuple[dt.date, ...] = ()
) -> WorkCalendar:
    """A shared working-day calendar (its year tables are built once per process)."""
    return WorkCalendar(country, extra_off, extra_work)


# ---- settings ----------------------------------------------------------------


def _int_cell(
    fail: Callable[[str], SettingsError], value: CellValue, low: int, what: tuple[str, str]
) -> int:
    """A whole number ≥ low from a settings cell, else the cell's error."""
    try:
        number = parse_number(value)
    except ValueError:
        number = None
    if number is None or not float(number).is_integer() or number < low:
        raise fail(
            tr(
                f"{what[0]}须为不小于 {low} 的整数，现在是 '{value}'",
                f"{what[1]} must be a whole number of at least {low}, not '{value}'",
            )
        )
    return int(number)


def _parse_cadences(settings: Settings) -> tuple[CadenceStep, ...]:
    data = settings.block("cadences")
    steps: list[CadenceStep] = []
    seen: set[str] = set()
    channels = "、".join(f"{zh} {key}" for key, (zh, _) in CHANNELS.items())
    for row, rec in data.records():
        if all(is_blank(v) for v in rec.values()):
            continue

        applies = str(rec["applies_to"] or "").strip()
        terms = parse_terms(applies)
        if not terms:
            raise data.error(
                row,
                "applies_to",
                tr(
                    "适用于不能为空：写等级、等级代码、分群、阶段、新客户或流失风险",
                    "applies to is empty: write a tier, tier code, segment, stage, new or churn",
                ),
            )
        step = "" if is_blank(rec["step"]) else str(parse_number(rec["step"]) or "")
        step = step[:-2] if step.endswith(".0") else step or str(rec["step"]).strip()
        if not step:
            raise data.error(
                row, "step", tr("步骤不能为空（如 1）", "the step needs a name such as 1")
            )
        offset = (
            0
            if is_blank(rec["offset"])
            else _int_cell(
                functools.partial(data.error, row, "offset"),
                rec["offset"],
                0,
                ("起始天", "offset days"),
            )
        )
        repeat = (
            None
            if is_blank(rec["repeat"])
            else _int_cell(
                functools.partial(data.error, row, "repeat"),
                rec["repeat"],
                1,
                ("重复间隔", "repeat every"),
            )
        )
        channel = channel_key(rec["channel"])
        if channel is None:
            raise data.error(
                row,
                "channel",
                tr(
                    f"渠道 '{rec['channel']}' 无法识别；可用：{channels}",
                    f"unknown channel '{rec['channel']}'; use one of: {channels}",
                ),
            )
        template = str(rec["template"] or "").strip()
        if not template:
            raise data.error(
                row,
                "template",
                tr(
                    f"模板不能为空；内置模板：{', '.join(TEMPLATE_KEYS)}",
                    f"the template key is empty; built-in templates: {', '.join(TEMPLATE_KEYS)}",
                ),
            )
        priority = (
            3
            if is_blank(rec["priority"])
            else _int_cell(
                functools.partial(data.error, row, "priority"),
                rec["priority"],
                1,
                ("优先级", "priority"),
            )
        )
        candidate = CadenceStep(
            applies_to=applies,
            terms=terms,
            step=step,
            offset=offset,
            repeat=repeat,
            channel=channel,
            purpose=str(rec["purpose"] or "").strip() or template,
            template=template,
            priority=priority,
        )
        if candidate.key in seen:
            raise data.error(
                row,
                "step",
                tr(
                    f"「{applies}」的步骤 {step} 重复了；每组的步骤编号须不同",
                    f"step {step} of '{applies}' appears twice; number each group's steps uniquely",
                ),
            )
        seen.add(candidate.key)
        steps.append(candidate)
    return tuple(steps)


def _parse_reps(settings: Settings) -> tuple[Rep, ...]:
    data = settings.block("reps")
    reps: list[Rep] = []
    names: set[str] = set()
    for row, rec in data.records():
        if all(is_blank(v) for v in rec.values()):
            continue
        name = str(rec["name"] or "").strip()
        if not name:
            raise data.error(row, "name", tr("姓名不能为空", "the rep needs a name"))
        if name in names:
            raise data.error(
                row, "name", tr(f"销售 '{name}' 出现了两次", f"rep '{name}' is listed twice")
            )
        names.add(name)
        capacity = (
            DEFAULT_CAPACITY
            if is_blank(rec["capacity"])
            else _int_cell(
                functools.partial(data.error, row, "capacity"),
                rec["capacity"],
                0,
                ("每日容量", "daily capacity"),
            )
        )
        channels: set[str] = set()
        text = str(rec["channels"] or "").replace("，", ",").replace("、", ",").replace(";", ",")
        for part in filter(None, (p.strip() for p in text.split(","))):
            key = channel_key(part)
            if key is None:
                raise data.error(
                    row,
                    "channels",
                    tr(
                        f"渠道 '{part}' 无法识别；可用：电话、短信、邮件、微信、拜访",
                        f"unknown channel '{part}'; use phone, sms, email, wechat, visit",
                    ),
                )
            channels.add(key)
        reps.append(Rep(name, capacity, frozenset(channels)))
    return tuple(reps)


def _parse_holidays(settings: Settings) -> tuple[tuple[dt.date, ...], tuple[dt.date, ...]]:
    data = settings.block("holidays")
    off: list[dt.date] = []
    work: list[dt.date] = []
    for row, rec in data.records():
        if is_blank(rec["date"]) and is_blank(rec["type"]):
            continue
        try:
            day = parse_date(rec["date"])
        except ValueError as exc:
            raise data.error(
                row, "date", tr(f"日期无法识别：{exc}", f"not a date: {exc}")
            ) from None
        if day is None:
            raise data.error(row, "date", tr("日期不能为空", "the date is empty"))
        kind = str(rec["type"] or "休息").strip().lower()
        if kind in _OFF:
            off.append(day)
        elif kind in _WORK:
            work.append(day)
        else:
            raise data.error(
                row,
                "type",
                tr(
                    f"类型 '{rec['type']}' 无法识别；请写 休息 或 上班",
                    f"unknown type '{rec['type']}'; write 休息 off or 上班 work",
                ),
            )
    return tuple(off), tuple(work)


def parse_plan_settings(settings: Settings) -> PlanSettings:
    """Cadences, reps and holiday adjustments from the settings sheet, each cell validated."""
    off, work = _parse_holidays(settings)
    return PlanSettings(_parse_cadences(settings), _parse_reps(settings), off, work)


# ---- reading the plan sheet back ------------------------------------------------


def _text(value: CellValue) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_status(text: str) -> str | None:
    return _STATUS_ALIASES.get(text.lower()) if text else STATUS_OPEN


def _read_priority(value: CellValue) -> int | None:
    try:
        number = parse_number(value)
    except ValueError:
        return None
    return None if number is None else int(number)


def _parse_column(values: pd.Series, key: str, sheet: str, header: str) -> pd.Series:
    """One plan column read back, each distinct value parsed once; bad cells named."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed: list[object] = []
    for value in uniques:
        try:
            if key in ("due", "done_date"):
                parsed.append(parse_date(value))
            elif key == "status":
                status = _read_status(_text(value))
                if status is None:
                    allowed = "、".join(f"{zh} {en}" for zh, en in STATUSES.items())
                    raise ValueError(
                        tr(
                            f"状态 '{value}' 无法识别；请填：{allowed}",
                            f"unknown status '{value}'; use one of: {allowed}",
                        )
                    )
                parsed.append(status)
            elif key == "channel":
                parsed.append(channel_key(value) or _text(value))
            elif key == "priority":
                parsed.append(_read_priority(value))
            else:
                parsed.append(_text(value))
        except ValueError as exc:
            row = int(values.index[int(np.flatnonzero(codes == len(parsed))[0])])
            message = (
                str(exc) if key == "status" else tr(f"日期无法识别：{exc}", f"not a date: {exc}")
            )
            raise InputError(message, sheet=sheet, row=row, column=header) from None
    blank = (
        STATUS_OPEN if key == "status" else None if key in ("due", "done_date", "priority") else ""
    )
    lookup = np.array([*parsed, blank], dtype=object)
    return pd.Series(lookup[codes], index=values.index, dtype=object)


def parse_plan_sheet(grid: Sequence[Sequence[CellValue]], sheet_name: str) -> pd.DataFrame:
    """The plan sheet as staff left it: canonical statuses, dates, their own columns kept.

    The index is the Excel row number; columns staff added keep their header text
    (listed in ``frame.attrs["extra_columns"]``). Blank rows are skipped.
    """
    if not grid:
        return _empty_touches()
    header = [_text(v) for v in grid[0]]
    keys = [_HEADER_KEYS.get(h.lower(), h) for h in header]
    extras = [k for k, h in zip(keys, header, strict=True) if h and k == h and k != "flag"]
    width = len(header)
    body = [
        (number, list(row[:width]) + [None] * (width - len(row)))
        for number, row in enumerate(grid[1:], start=2)
        if not all(is_blank(v) for v in row)
    ]
    raw = pd.DataFrame(
        [row for _, row in body],
        index=pd.Index([n for n, _ in body], name="row"),
        columns=range(width),
        dtype=object,
    )
    frame = pd.DataFrame(index=raw.index)
    for key in TOUCH_COLUMNS:
        if key in keys:
            position = keys.index(key)
            frame[key] = _parse_column(raw[position], key, sheet_name, header[position])
        else:
            frame[key] = STATUS_OPEN if key == "status" else None
    for name in extras:
        column = raw[keys.index(name)]
        frame[name] = column.where(column.notna(), None)
    frame.attrs["extra_columns"] = extras
    return frame


def _empty_touches(extras: Sequence[str] = ()) -> pd.DataFrame:
    frame = pd.DataFrame({key: pd.Series(dtype=object) for key in (*TOUCH_COLUMNS, *extras)})
    frame.attrs["extra_columns"] = list(extras)
    return frame


# ---- building the plan -------------------------------------------------------------


def _column(frame: pd.DataFrame, role: str) -> pd.Series:
    if role in frame:
        return frame[role]
    return pd.Series(None, index=frame.index, dtype=object)


def _text_column(frame: pd.DataFrame, role: str) -> np.ndarray:
    values = _column(frame, role)
    strings = pd.api.types.infer_dtype(values, skipna=True) == "string"
    if strings and mostly_distinct(values.to_numpy()):
        # Names and IDs (blank: ""): stripping each costs less than finding the distinct ones;
        # C-level maps, no Python call per value.
        array = values.to_numpy()
        text = np.fromiter(map(isinstance, array, repeat(str)), bool, len(array))
        out = np.full(len(array), "", dtype=object)
        out[text] = np.fromiter(map(str.strip, array[text]), object, int(text.sum()))
        return out
    # Owners, codes, numbers, dates, mixed: convert each distinct value once.
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if pd.api.types.infer_dtype(uniques, skipna=True) == "string":
        texts = pd.Series(uniques, dtype=object).str.strip().to_numpy(dtype=object)
    else:
        texts = np.array([_text(v) for v in uniques], dtype=object)
    return np.append(texts, "")[codes]


def _ordinals(values: pd.Series) -> np.ndarray:
    """Date ordinals of a column (-1 where blank)."""
    stamps = pd.to_datetime(values, errors="coerce")
    epoch = dt.date(1970, 1, 1)
    days = (stamps - pd.Timestamp(epoch)).dt.days.to_numpy(dtype="float64") + epoch.toordinal()
    return np.where(np.isnan(days), -1, days).astype(np.int64)


def _done_by_channel(existing: pd.DataFrame) -> pd.Series:
    """Ordinal of the latest completed touch per (customer ID, channel)."""
    done = existing[existing["status"] == STATUS_DONE]
    when = pd.Series(
        _ordinals(done["done_date"].where(done["done_date"].notna(), done["due"])),
        index=done.index,
    )
    keys = [done["customer_id"].astype(str), done["channel"].astype(str)]
    return when[when >= 0].groupby(keys).max()


def _last_contact(
    ids: np.ndarray, channel: str, purchase: np.ndarray, done: pd.Series
) -> np.ndarray:
    """Ordinal of each customer's last completed contact on a channel, else their purchase."""
    if done.empty:
        return purchase
    wanted = pd.MultiIndex.from_arrays([ids.astype(str), np.full(len(ids), channel)])
    found = done.reindex(wanted).to_numpy(dtype="float64")
    return np.where(np.isnan(found), purchase, found).astype(np.int64)


def _planned_once(existing: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows of the previous plan not cancelled, per step key, indexed by customer ID."""
    rows = existing[
        (existing["touch_id"].fillna("").astype(str) != "")
        & (existing["status"] != STATUS_CANCELLED)
    ]
    frame = pd.DataFrame(
        {
            "customer_id": rows["customer_id"].astype(str).to_numpy(),
            "step": rows["step"].astype(str).to_numpy(),
            "touch_id": rows["touch_id"].astype(str).to_numpy(),
            "status": rows["status"].to_numpy(),
            "due_ordinal": _ordinals(rows["due"]),
        }
    ).drop_duplicates(["customer_id", "step"])
    return {
        str(key): group.drop(columns="step").set_index("customer_id")
        for key, group in frame.groupby("step", sort=False)
    }


_NOT_PLANNED = pd.DataFrame(  # what _planned_once gives a step nobody had
    {"touch_id": [], "status": [], "due_ordinal": np.empty(0, dtype=np.int64)},
    index=pd.Index([], dtype=object),
    dtype=object,
).astype({"due_ordinal": np.int64})


@dataclass
class _Candidates:
    """Touches the cadences ask for, as parallel arrays."""

    customer: list[np.ndarray] = field(default_factory=list)  # row position in the frame
    step: list[np.ndarray] = field(default_factory=list)  # index into the steps
    nominal: list[np.ndarray] = field(default_factory=list)  # ordinal before levelling
    reuse: list[np.ndarray] = field(default_factory=list)  # existing id for one-off steps, ""

    def add(self, customer: np.ndarray, step: int, nominal: np.ndarray, reuse: np.ndarray) -> None:
        self.customer.append(customer)
        self.step.append(np.full(len(customer), step, dtype=np.int64))
        self.nominal.append(nominal)
        self.reuse.append(reuse)


def build_plan(
    customers: pd.DataFrame,
    tiers: pd.DataFrame,
    settings: PlanSettings,
    as_of: dt.date,
    *,
    existing: pd.DataFrame | None = None,
    horizon_days: int = 30,
    country: str = "CN",
) -> PlanResult:
    """The follow-up plan for the horizon, levelled to each rep's capacity and merged with
    the previous plan."""
    calendar = work_calendar(country, settings.extra_off, settings.extra_work)
    if not tiers.index.equals(customers.index):
        tiers = tiers.reindex(customers.index)
    n = len(customers)
    ids = _text_column(customers, "id")
    ids = np.where(ids == "", customers.index.astype(str).to_numpy(dtype=object), ids)
    start, end = as_of.toordinal(), as_of.toordinal() + horizon_days
    horizon = np.arange(start, end)[calendar.workday_array(np.arange(start, end))]
    if existing is None:
        existing = _empty_touches()
    extras = list(existing.attrs.get("extra_columns", []))

    opted_out = _flags(_column(customers, "opt_out"))
    first = _ordinals(_column(customers, "first_purchase"))
    first = np.where(first >= 0, first, _ordinals(_column(customers, "last_purchase")))
    is_new = (first >= 0) & (first <= start) & (first > start - NEW_CUSTOMER_DAYS)
    groups, chosen = match_groups(list(settings.steps), tiers, is_new)
    chosen[opted_out] = -1
    last_purchase = _ordinals(_column(customers, "last_purchase"))
    purchase = np.where(last_purchase >= 0, last_purchase, first)
    purchase = np.where(purchase >= 0, purchase, start)

    candidates = _generate(
        settings.steps, groups, chosen, ids, first, purchase, existing, calendar, start, end
    )
    customer = np.concatenate(candidates.customer) if candidates.customer else np.empty(0, int)
    step_index = np.concatenate(candidates.step) if candidates.step else np.empty(0, int)
    nominal = np.concatenate(candidates.nominal) if candidates.nominal else np.empty(0, int)
    reuse = np.concatenate(candidates.reuse) if candidates.reuse else np.empty(0, object)
    steps = settings.steps
    keys = np.array([step.key for step in steps], dtype=object)
    # Each customer ID and step key is hashed once, not once per touch.
    hashed = _hashed_ids(_text_hash(ids)[customer], _text_hash(keys)[step_index], nominal)
    generated_ids = np.where(reuse != "", reuse, hashed)

    # Matching: rows staff finished (done/skipped/cancelled) stay as they are.
    known = existing.set_index(existing["touch_id"].astype(str), drop=False)
    known = known[known.index != ""]
    known = known[~known.index.duplicated()]
    matched = np.zeros(len(generated_ids), dtype=bool)
    if len(known):  # a first plan has nothing to match against
        status_of = known["status"].reindex(generated_ids).to_numpy(dtype=object)
        fresh = pd.isna(status_of) | (status_of == STATUS_OPEN)
        customer, step_index, nominal = customer[fresh], step_index[fresh], nominal[fresh]
        generated_ids = generated_ids[fresh]
        matched = pd.Index(generated_ids, dtype=object).isin(known.index)

    # Owners: the customer's owner, else the owner of their latest plan row, else least load.
    owners = _text_column(customers, "owner")
    owned = existing[existing["owner"].fillna("").astype(str) != ""]
    owned = owned.iloc[np.lexsort((owned["touch_id"].astype(str), _ordinals(owned["due"])))]
    sticky = owned.groupby(owned["customer_id"].astype(str))["owner"].last()
    if len(sticky):
        from_plan = pd.Series(ids).map(sticky).fillna("").astype(str).to_numpy(dtype=object)
        owners = np.where(owners == "", from_plan, owners)
    load = np.bincount(customer, minlength=n)
    group_channels = np.empty(len(groups) + 1, dtype=object)  # the last: no group
    for g, group in enumerate([*groups, None]):
        group_channels[g] = frozenset(s.channel for s in steps if s.applies_to == group)
    channel_sets: list[frozenset[str]] = group_channels[chosen].tolist()
    reps, warnings = _reps(settings.reps, owners[load > 0])
    owners = assign_owners(ids, owners, channel_sets, load, reps)

    # Levelling: earliest allowed day is the nominal due, pulled up to today when overdue.
    position = np.searchsorted(horizon, np.maximum(nominal, horizon[0] if len(horizon) else 0))
    priority = np.array([step.priority for step in steps], dtype=np.int64)[step_index]
    tier_rank = _tier_rank(tiers)[customer]
    # Ties are broken by customer ID, then step key, as text: ranked once, sorted as numbers.
    id_rank, key_rank = _text_rank(ids), _text_rank(keys)
    order = np.lexsort((key_rank[step_index], id_rank[customer], nominal, tier_rank, priority))
    order_key = np.empty(len(order), dtype=np.int64)
    order_key[order] = np.arange(len(order))
    capacity = {rep.name: rep.capacity for rep in reps}
    booked = _booked_by_hand(existing, horizon)
    placed = level(owners[customer], position, order_key, capacity, len(horizon), booked)
    warnings = calendar.warnings_for(as_of, dt.date.fromordinal(end)) + warnings

    names, contacts = _text_column(customers, "name"), _text_column(customers, "contact")
    day = np.append(horizon, -1)[placed]  # -1 (unplaced) picks the -1

    def touch_rows(rows: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """The generated touches at these positions (built apart: few fit, most may not)."""
        who, step = customer[rows], step_index[rows]
        columns = {
            "touch_id": generated_ids[rows],
            "customer_id": ids[who],
            "customer": names[who],
            "contact": contacts[who],
            "owner": owners[who],
            "channel": _pick([s.channel for s in steps], step),
            "due": _dates(day[rows]),
            "purpose": _pick([s.purpose for s in steps], step),
            "template": _pick([s.template for s in steps], step),
            "priority": priority[rows],
            "step": keys[step],
            "status": STATUS_OPEN,
            "done_date": None,
            "notes": "",
            "cancel_reason": "",
        }
        # copy=False: the columns are fresh arrays, stacking them into blocks is wasted work.
        return pd.DataFrame(columns, index=index, copy=False)

    kept = np.flatnonzero((placed >= 0) | matched)
    frame = touch_rows(kept, pd.Index(kept))
    dropped = np.flatnonzero((placed < 0) & ~matched)

    def status() -> pd.DataFrame:
        """Per customer ID: opted out, and the cadence group followed."""
        table = pd.DataFrame(
            {
                "opted_out": opted_out,
                "group": [groups[g] if g >= 0 else "" for g in chosen],
            },
            index=pd.Index(ids.astype(str)),
        )
        return table[~table.index.duplicated()]

    touches = _merge(frame, existing, status, end)
    return PlanResult(
        touches,
        lambda: touch_rows(dropped, pd.RangeIndex(len(dropped))),
        warnings,
        as_of,
        extras,
        beyond_capacity=len(dropped),
    )


def _generate(
    steps: Sequence[CadenceStep],
    groups: list[str],
    chosen: np.ndarray,
    ids: np.ndarray,
    first: np.ndarray,
    purchase: np.ndarray,
    existing: pd.DataFrame,
    calendar: WorkCalendar,
    start: int,
    end: int,
) -> _Candidates:
    """Every touch the cadences ask for in the horizon, before owners and levelling."""
    done = _done_by_channel(existing)
    earlier = _planned_once(existing)
    catch_up = int(calendar.add_workdays_array(np.array([start]), -CATCH_UP_WORKDAYS)[0])
    candidates = _Candidates()
    for s, step in enumerate(steps):
        members = np.flatnonzero(chosen == groups.index(step.applies_to))
        if not len(members):
            continue
        last = _last_contact(ids[members], step.channel, purchase[members], done)
        if step.repeat is None:
            if NEW in step.terms:
                anchor = np.where(first[members] >= 0, first[members], start)
            elif CHURN in step.terms:
                anchor = np.full(len(members), start)
            else:
                anchor = last
            nominal = calendar.next_workday_array(calendar.add_workdays_array(anchor, step.offset))
            found = earlier.get(step.key, _NOT_PLANNED).reindex(pd.Index(ids[members]))
            seen = found["status"].notna().to_numpy()
            due_before = found["due_ordinal"].fillna(-1).to_numpy(dtype=np.int64)
            still_open = (found["status"] == STATUS_OPEN).to_numpy() & (due_before >= 0)
            # Still open from an earlier run: the same row, on its date; a done or skipped
            # one-off happened already; a new one is planned when it falls in the horizon.
            nominal = np.where(still_open, due_before, nominal)
            reuse = np.where(still_open, found["touch_id"].fillna("").to_numpy(dtype=object), "")
            keep = np.where(seen, still_open, nominal >= catch_up) & (nominal < end)
            candidates.add(members[keep], s, nominal[keep], reuse[keep].astype(object))
        else:
            first_due = calendar.add_workdays_array(last, step.offset + step.repeat)
            _repeat_series(calendar, candidates, members, s, first_due, step.repeat, start, end)
    return candidates


def _booked_by_hand(existing: pd.DataFrame, horizon: np.ndarray) -> dict[str, np.ndarray]:
    """Per rep, how many open rows staff typed in by hand fall on each working day."""
    hand = existing[
        (existing["touch_id"].fillna("").astype(str) == "") & (existing["status"] == STATUS_OPEN)
    ]
    due = _ordinals(hand["due"])
    position = np.searchsorted(horizon, due)
    on_workday = (position < len(horizon)) & (
        horizon[np.minimum(position, len(horizon) - 1)] == due
    )
    booked: dict[str, np.ndarray] = {}
    owners = hand["owner"].fillna("").astype(str).to_numpy()
    for name in set(owners[on_workday]):
        days = position[on_workday & (owners == name)]
        booked[name] = np.bincount(days, minlength=len(horizon))
    return booked


def _repeat_series(
    calendar: WorkCalendar,
    candidates: _Candidates,
    members: np.ndarray,
    step: int,
    first_due: np.ndarray,
    repeat: int,
    start: int,
    end: int,
) -> None:
    """Every occurrence of a repeating step within the horizon (the latest overdue one kept)."""
    base = calendar.positions(first_due)
    today = int(calendar.positions(calendar.next_workday_array(np.array([start])))[0])
    last_pos = int(calendar.positions(np.array([end]))[0])  # first working day ≥ end
    # Skip whole intervals before today: the latest occurrence on or before today stays
    # (overdue ones are pulled up to today by levelling).
    skip = np.where(base < today, (today - base) // repeat, 0)
    begin = base + skip * repeat
    count = np.maximum(0, (last_pos - 1 - begin) // repeat + 1)
    owner_rows = np.repeat(np.arange(len(members)), count)
    within = np.arange(len(owner_rows)) - np.repeat(np.cumsum(count) - count, count)
    positions = begin[owner_rows] + within * repeat
    nominal = calendar.ordinals_at(positions)
    candidates.add(members[owner_rows], step, nominal, np.full(len(owner_rows), "", dtype=object))


def _safe_bool(value: CellValue) -> bool:
    try:
        return parse_bool(value)
    except ValueError:
        return False


def _flags(values: pd.Series) -> np.ndarray:
    """A yes/no column as booleans; what is not a yes/no value reads as no."""
    if values.dtype == bool:  # typed by the reader: nothing to parse
        return values.to_numpy(dtype=bool)
    return np.array([_safe_bool(v) for v in values], dtype=bool)


def _text_rank(values: np.ndarray) -> np.ndarray:
    """Each value's rank in the sorted texts (equal texts, equal ranks), to sort by as a number."""
    texts = values.astype(str)
    order = np.argsort(texts, kind="stable")  # IDs often come sorted: a stable sort is quick
    ordered = texts[order]
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.cumsum(np.append(len(texts) > 0, ordered[1:] != ordered[:-1])) - 1
    return rank


def _pick(values: list[str], index: np.ndarray) -> np.ndarray:
    """values[i] for every i in index, as an object array."""
    return np.array(values, dtype=object)[index] if values else np.empty(0, dtype=object)


def _dates(ordinals: np.ndarray) -> np.ndarray:
    """Date objects for ordinals (None for -1), converting each distinct day once."""
    days, codes = np.unique(ordinals, return_inverse=True)
    lookup = np.array([dt.date.fromordinal(int(d)) if d > 0 else None for d in days] + [None])
    return lookup[codes.reshape(-1)] if len(ordinals) else np.empty(0, dtype=object)


def _tier_rank(tiers: pd.DataFrame) -> np.ndarray:
    """Tier order for levelling: code A first, unknown last."""
    inverse, distinct = pd.factorize(_text_column(tiers, "tier_code"))
    rank = np.array([ord(c[0].upper()) - 64 if c else 99 for c in distinct], dtype=np.int64)
    return rank[inverse]


def _reps(configured: Sequence[Rep], owners: np.ndarray) -> tuple[list[Rep], list[str]]:
    """The reps to plan for: the configured ones plus any owner missing from them."""
    warnings: list[str] = []
    reps = list(configured)
    names = {rep.name for rep in reps}
    missing = sorted({str(o) for o in pd.unique(owners) if o and o not in names})
    if reps and missing:
        warnings.append(
            tr(
                f"负责人 {'、'.join(missing[:10])} 不在销售人员表中，按每天 {DEFAULT_CAPACITY} 条安排",
                f"owners {', '.join(missing[:10])} are not in the reps table; "
                f"planned at {DEFAULT_CAPACITY} touches a day",
            )
        )
    reps += [Rep(name, DEFAULT_CAPACITY) for name in missing]
    if not reps:
        reps = [Rep(tr("未分配", "Unassigned"), DEFAULT_CAPACITY)]
    if not configured and not missing and len(owners):
        warnings.append(
            tr(
                "没有负责人也没有销售人员表：所有跟进记在「未分配」名下",
                "no owners and no reps table: every touch goes to 'Unassigned'",
            )
        )
    return reps, warnings


def _merge(
    generated: pd.DataFrame,
    existing: pd.DataFrame,
    customer_status: Callable[[], pd.DataFrame],
    end: int,
) -> pd.DataFrame:
    """The new plan merged into the previous one (see the module docstring for the rules)."""
    previous = existing.reset_index(drop=True).copy()
    ids = previous["touch_id"].fillna("").astype(str)
    by_id = generated.drop_duplicates("touch_id").set_index("touch_id")
    is_open = (previous["status"] == STATUS_OPEN) & (ids != "")
    update = is_open & ids.isin(by_id.index)
    engine = ["customer_id", "customer", "contact", "owner", "channel", "due", "purpose"]
    engine += ["template", "priority", "step"]
    if update.any():
        fresh = by_id.loc[ids[update], engine].set_index(previous.index[update])
        # A touch that no longer fits the horizon keeps the date it had.
        fresh["due"] = fresh["due"].where(fresh["due"].notna(), previous.loc[update, "due"])
        previous.loc[update, engine] = fresh
        previous.loc[update, "cancel_reason"] = ""
    due = _ordinals(previous["due"])
    stale = is_open & ~update & (due < end)
    if stale.any():
        customers = customer_status()
        customer = previous.loc[stale, "customer_id"].astype(str)
        group = previous.loc[stale, "step"].astype(str).str.rsplit("#", n=1).str[0]
        reason = np.select(
            [
                ~customer.isin(customers.index).to_numpy(),
                customer.map(customers["opted_out"]).eq(True).to_numpy(),
                (customer.map(customers["group"]) != group).to_numpy(),
            ],
            [
                tr("客户已不在客户表中", "customer is no longer in the table"),
                tr("客户已退订", "customer opted out"),
                tr("不再适用（等级或阶段已变）", "no longer applies (tier or stage changed)"),
            ],
            default=tr(
                "已重新安排（上次完成后顺延）", "rescheduled (after the last completed contact)"
            ),
        )
        previous.loc[stale, "status"] = STATUS_CANCELLED
        previous.loc[stale, "cancel_reason"] = reason
    added = generated[~generated["touch_id"].isin(ids)]
    merged = pd.concat([previous, added], ignore_index=True) if len(previous) else added.copy()
    order = np.lexsort(
        (
            merged["touch_id"].astype(str).to_numpy(),
            merged["customer_id"].astype(str).to_numpy(),
            pd.to_numeric(merged["priority"], errors="coerce").fillna(99).to_numpy(),
            merged["owner"].astype(str).to_numpy(),
            np.where((d := _ordinals(merged["due"])) < 0, np.iinfo(np.int64).max, d),
        )
    )
    merged = merged.iloc[order].reset_index(drop=True)
    merged["priority"] = pd.to_numeric(merged["priority"], errors="coerce").astype("Int64")
    text = ["touch_id", "customer_id", "customer", "contact", "owner", "channel", "purpose"]
    text += ["template", "step", "notes", "cancel_reason"]
    merged[text] = merged[text].fillna("")
    merged.attrs["extra_columns"] = list(existing.attrs.get("extra_columns", []))
    return merged


# ---- writing the plan sheet ------------------------------------------------------------


def status_label(status: str) -> str:
    """A canonical status in the current language."""
    return tr(status, STATUSES.get(status, status))


def _cells(values: pd.Series) -> list[CellValue]:
    """A column as plain cell values: blanks as None, numpy numbers as Python ones."""
    return [_cell(v) for v in values.astype(object).where(values.notna(), None).tolist()]


def _labels(values: pd.Series, label: Callable[[str], str]) -> list[CellValue]:
    """A column of keys as display labels, each distinct key converted once."""
    codes, uniques = pd.factorize(values.fillna("").astype(str))
    texts = [label(u) if u else "" for u in uniques]
    return [texts[c] for c in codes]


def plan_rows(result: PlanResult) -> tuple[list[str], list[list[CellValue]]]:
    """Headers and display rows of the plan (labels in the current language)."""
    as_of = (result.as_of or dt.date.today()).toordinal()
    touches = result.touches
    extras = result.extra_columns
    headers = [tr(zh, en) for _, zh, en in _SHEET_COLUMNS] + extras
    is_open = (touches["status"] == STATUS_OPEN).to_numpy()
    due = _ordinals(touches["due"])
    flag = np.where(is_open & (due >= 0) & (due < as_of), tr("逾期", "overdue"), "")
    flag = np.where(is_open & (due == as_of), tr("今天", "today"), flag)
    columns: list[list[CellValue]] = []
    for key, _, _ in _SHEET_COLUMNS:
        if key == "flag":
            columns.append(flag.tolist())
        elif key == "channel":
            columns.append(_labels(touches["channel"], channel_label))
        elif key == "status":
            columns.append(_labels(touches["status"], status_label))
        else:
            columns.append(_cells(touches[key]))
    columns.extend(_cells(touches[column]) for column in extras)
    return headers, [list(row) for row in zip(*columns, strict=True)]


def _cell(value: object) -> CellValue:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value  # type: ignore[return-value]


def plan_sheet(result: PlanResult, lang: str | None = None) -> SheetSpec:
    """The 跟进计划 sheet: one row per touch, status drop-down, today/overdue highlighting."""
    if lang in ("zh", "en"):
        with use_lang(lang):  # type: ignore[arg-type]
            return plan_sheet(result)
    headers, rows = plan_rows(result)
    column = {key: i for i, (key, _, _) in enumerate(_SHEET_COLUMNS)}
    due = column_letter(column["due"] + 1)
    status = column_letter(column["status"] + 1)
    open_label = status_label(STATUS_OPEN)
    last = len(headers) - 1
    widths = {i: 12.0 for i in range(len(headers))}
    widths |= {column["touch_id"]: 13.0, column["customer"]: 24.0, column["purpose"]: 26.0}
    widths |= {column["notes"]: 30.0, column["step"]: 16.0, column["cancel_reason"]: 28.0}
    return SheetSpec(
        name=PLAN_SHEET,
        rows=[headers, *rows],
        widths=widths,
        number_formats={column["due"]: "yyyy-mm-dd", column["done_date"]: "yyyy-mm-dd"},
        freeze="D2",
        validations=[
            ListValidation(column["status"], [status_label(s) for s in STATUSES]),
            ListValidation(column["channel"], [channel_label(c) for c in CHANNELS]),
        ],
        conditional=[
            ConditionalFill(
                (0, last),
                f'AND(${due}2<>"",${due}2<TODAY(),${status}2="{open_label}")',
                "FFC7CE",
                "9C0006",
            ),
            ConditionalFill(
                (0, last), f'AND(${due}2=TODAY(),${status}2="{open_label}")', "FFEB9C", "9C5700"
            ),
        ],
        tab_color="4472C4",
    )
