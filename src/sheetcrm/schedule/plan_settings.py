"""The plan's settings blocks: cadences, reps and holiday adjustments, each cell validated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..book.base import CellValue
from ..i18n import tr
from ..settings import Allowed, Block, BlockData, Settings, register
from ..values import is_blank, parse_number
from .cadence import CHANNELS, TEMPLATE_KEYS, CadenceStep, channel_key, parse_terms
from .capacity import DEFAULT_CAPACITY, Rep
from .holiday_dates import holiday_dates
from .workdays import CalendarDays

__all__ = ["HOLIDAYS", "PlanSettings", "parse_holidays", "parse_plan_settings"]

HOLIDAYS = register(
    Block(
        key="holidays",
        title_zh="节假日调整",
        title_en="Holiday adjustments",
        columns=(("date", "日期 Date"), ("type", "类型 Type"), ("note", "说明 Note")),
        defaults=(),
        help=(
            "国务院放假安排已内置到 2026 年；之后的年份请粘贴当年通知：放假日写 官方休息、调休上班日写"
            " 官方上班（日期可写范围，如 2027-02-06 至 2027-02-12）。公司自己的额外休息日写 休息、"
            "额外上班日写 上班 · the State Council schedule is built in up to 2026; for a later "
            "year paste its notice: days off as 官方休息 official off, make-up working days as "
            "官方上班 official work (ranges such as 2027-02-06 至 2027-02-12 work). Your own extra "
            "days off: 休息 off; extra working days: 上班 work"
        ),
        order=22,
    )
)
# The kinds of row, by what staff may write in the type cell (case and spaces aside).
_KINDS = {
    "extra_off": ("休息", "off", "休", "假", "holiday", "休息 off"),
    "extra_work": ("上班", "work", "班", "workday", "上班 work"),
    "official_off": (
        *("官方休息", "官方放假", "法定休息", "法定假日", "放假", "放假调休"),
        *("official off", "official holiday", "官方休息 official off"),
    ),
    "official_work": (
        *("官方上班", "调休上班", "补班", "official work", "make-up day", "make-up work"),
        "官方上班 official work",
    ),
}
_KIND_OF = {text: kind for kind, texts in _KINDS.items() for text in texts}

_Record = dict[str, CellValue]


@dataclass(frozen=True)
class PlanSettings:
    """Cadences, reps and the calendar's named days from the settings sheet."""

    steps: tuple[CadenceStep, ...]
    reps: tuple[Rep, ...] = ()
    calendar: CalendarDays = field(default_factory=CalendarDays)


def parse_plan_settings(settings: Settings) -> PlanSettings:
    """Cadences, reps and holiday adjustments from the settings sheet, each cell validated."""
    steps, reps = _parse_cadences(settings), _parse_reps(settings)
    return PlanSettings(steps, reps, parse_holidays(settings.block("holidays")))


def _filled(data: BlockData) -> list[tuple[int, _Record]]:
    """The block's rows that are not blank, with their Excel row numbers."""
    return [(row, rec) for row, rec in data.records() if not all(map(is_blank, rec.values()))]


def _whole(data: BlockData, row: int, key: str, value: CellValue) -> int:
    """A whole number as the block declares it (its bounds live there), else the cell's error."""
    number = data.value(row, key, value)
    if not isinstance(number, int):  # a blank cell: the declaration asks for a number
        raise data.error(
            row, key, f"{dict(data.block.columns)[key]} {Allowed('whole').wanted(value)}"
        )
    return number


# ---- cadences: one reader per column ----------------------------------------------


def _parse_cadences(settings: Settings) -> tuple[CadenceStep, ...]:
    """The cadence steps in sheet order; a step key given twice is the second one's error."""
    data = settings.block("cadences")
    steps: dict[str, CadenceStep] = {}
    for row, rec in _filled(data):
        step = _cadence_step(data, row, rec)
        if step.key in steps:
            raise data.error(
                row,
                "step",
                tr(
                    f"「{step.applies_to}」的步骤 {step.step} 重复了；每组的步骤编号须不同",
                    f"step {step.step} of '{step.applies_to}' appears twice; number each group's steps uniquely",
                ),
            )
        steps[step.key] = step
    return tuple(steps.values())


def _cadence_step(data: BlockData, row: int, rec: _Record) -> CadenceStep:
    """One cadence row, its cells read left to right (the first bad one is named)."""
    applies, terms = _applies_to(data, row, rec["applies_to"])
    step = _step_name(data, row, rec["step"])
    offset = 0 if is_blank(rec["offset"]) else _offset(data, row, rec["offset"])
    repeat = None if is_blank(rec["repeat"]) else _repeat(data, row, rec["repeat"])
    channel = _channel(data, row, rec["channel"])
    template = _template(data, row, rec["template"])
    priority = 3 if is_blank(rec["priority"]) else _priority(data, row, rec["priority"])
    return CadenceStep(
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


def _applies_to(data: BlockData, row: int, value: CellValue) -> tuple[str, tuple[str, ...]]:
    """The group's text as written and its conditions."""
    applies = str(value or "").strip()
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
    return applies, terms


def _step_name(data: BlockData, row: int, value: CellValue) -> str:
    """The step's name: a number as written without '.0', else the text."""
    step = "" if is_blank(value) else str(parse_number(value) or "")
    step = step[:-2] if step.endswith(".0") else step or str(value).strip()
    if not step:
        raise data.error(row, "step", tr("步骤不能为空（如 1）", "the step needs a name such as 1"))
    return step


def _offset(data: BlockData, row: int, value: CellValue) -> int:
    """Working days from the anchor to the first touch."""
    return _whole(data, row, "offset", value)


def _repeat(data: BlockData, row: int, value: CellValue) -> int:
    """Working days between touches of a repeating step."""
    return _whole(data, row, "repeat", value)


def _priority(data: BlockData, row: int, value: CellValue) -> int:
    """The step's priority (1 is highest)."""
    return _whole(data, row, "priority", value)


def _channel(data: BlockData, row: int, value: CellValue) -> str:
    """The step's channel key."""
    channel = channel_key(value)
    if channel is None:
        channels = "、".join(f"{zh} {key}" for key, (zh, _) in CHANNELS.items())
        raise data.error(
            row,
            "channel",
            tr(
                f"渠道 '{value}' 无法识别；可用：{channels}",
                f"unknown channel '{value}'; use one of: {channels}",
            ),
        )
    return channel


def _template(data: BlockData, row: int, value: CellValue) -> str:
    """The step's message template key."""
    template = str(value or "").strip()
    if not template:
        raise data.error(
            row,
            "template",
            tr(
                f"模板不能为空；内置模板：{', '.join(TEMPLATE_KEYS)}",
                f"the template key is empty; built-in templates: {', '.join(TEMPLATE_KEYS)}",
            ),
        )
    return template


# ---- reps ---------------------------------------------------------------------------


def _parse_reps(settings: Settings) -> tuple[Rep, ...]:
    """The reps in sheet order; a name given twice is the second one's error."""
    data = settings.block("reps")
    reps: dict[str, Rep] = {}
    for row, rec in _filled(data):
        name = str(rec["name"] or "").strip()
        if not name:
            raise data.error(row, "name", tr("姓名不能为空", "the rep needs a name"))
        if name in reps:
            raise data.error(
                row, "name", tr(f"销售 '{name}' 出现了两次", f"rep '{name}' is listed twice")
            )
        capacity = (
            DEFAULT_CAPACITY
            if is_blank(rec["capacity"])
            else _whole(data, row, "capacity", rec["capacity"])
        )
        reps[name] = Rep(name, capacity, _rep_channels(data, row, rec["channels"]))
    return tuple(reps.values())


def _rep_channels(data: BlockData, row: int, value: CellValue) -> frozenset[str]:
    """The channel keys a rep works (blank: all)."""
    channels: set[str] = set()
    text = str(value or "").replace("，", ",").replace("、", ",").replace(";", ",")
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
    return frozenset(channels)


# ---- holidays -------------------------------------------------------------------------


def parse_holidays(data: BlockData) -> CalendarDays:
    """The ``[holidays]`` block: official days off and make-up days, the company's own days.

    A day named twice with opposite meanings by the same source is the later cell's error."""
    named: dict[str, dict[dt.date, int]] = {kind: {} for kind in _KINDS}
    opposite = {
        "extra_off": "extra_work",
        "extra_work": "extra_off",
        "official_off": "official_work",
        "official_work": "official_off",
    }
    for row, rec in data.records():
        if is_blank(rec["date"]) and is_blank(rec["type"]):
            continue
        days = _holiday_dates(data, row, rec["date"])
        kind = _holiday_kind(data, row, rec["type"])
        clash = next((day for day in days if day in named[opposite[kind]]), None)
        if clash is not None:
            earlier = data.cell(named[opposite[kind]][clash], "type")
            raise data.error(
                row,
                "type",
                tr(
                    f"{clash} 在 {earlier} 已写成相反的类型；同一天只能是休息或上班之一",
                    f"{clash} is given the opposite type in {earlier}; a day is either off or on",
                ),
            )
        named[kind].update(dict.fromkeys(days, row))
    return CalendarDays(**{kind: frozenset(days) for kind, days in named.items()})


def _holiday_kind(data: BlockData, row: int, value: CellValue) -> str:
    """Which kind of day a row names (blank: a company day off, as before official rows)."""
    text = " ".join(str(value if not is_blank(value) else "休息").split()).lower()
    if text not in _KIND_OF:
        raise data.error(
            row,
            "type",
            tr(
                f"类型 '{value}' 无法识别；官方安排写 官方休息 或 官方上班，"
                "公司自己的写 休息 或 上班",
                f"unknown type '{value}'; for the official schedule write 官方休息 official off "
                "or 官方上班 official work, for your company's own days 休息 off or 上班 work",
            ),
        )
    return _KIND_OF[text]


def _holiday_dates(data: BlockData, row: int, value: CellValue) -> tuple[dt.date, ...]:
    """The days a row's date cell names: a date, a range or a list."""
    try:
        days = holiday_dates(value)
    except ValueError as exc:
        raise data.error(row, "date", tr(f"日期无法识别：{exc}", f"not a date: {exc}")) from None
    if not days:
        raise data.error(row, "date", tr("日期不能为空", "the date is empty"))
    return days
