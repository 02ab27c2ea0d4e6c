"""The plan's settings blocks: cadences, reps and holiday adjustments, each cell validated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..book.base import CellValue
from ..i18n import tr
from ..settings import Block, BlockData, Settings, register
from ..values import is_blank, parse_date, parse_number
from .cadence import CHANNELS, TEMPLATE_KEYS, CadenceStep, channel_key, parse_terms
from .capacity import DEFAULT_CAPACITY, Rep

__all__ = ["HOLIDAYS", "PlanSettings", "parse_plan_settings"]

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

_Record = dict[str, CellValue]


@dataclass(frozen=True)
class PlanSettings:
    """Cadences, reps and extra calendar days from the settings sheet."""

    steps: tuple[CadenceStep, ...]
    reps: tuple[Rep, ...] = ()
    extra_off: tuple[dt.date, ...] = ()
    extra_work: tuple[dt.date, ...] = ()


def parse_plan_settings(settings: Settings) -> PlanSettings:
    """Cadences, reps and holiday adjustments from the settings sheet, each cell validated."""
    off, work = _parse_holidays(settings)
    return PlanSettings(_parse_cadences(settings), _parse_reps(settings), off, work)


def _filled(data: BlockData) -> list[tuple[int, _Record]]:
    """The block's rows that are not blank, with their Excel row numbers."""
    return [(row, rec) for row, rec in data.records() if not all(map(is_blank, rec.values()))]


def _whole(
    data: BlockData, row: int, key: str, value: CellValue, low: int, what: tuple[str, str]
) -> int:
    """A whole number ≥ low from a settings cell, else the cell's error."""
    try:
        number = parse_number(value)
    except ValueError:
        number = None
    if number is None or not float(number).is_integer() or number < low:
        raise data.error(
            row,
            key,
            tr(
                f"{what[0]}须为不小于 {low} 的整数，现在是 '{value}'",
                f"{what[1]} must be a whole number of at least {low}, not '{value}'",
            ),
        )
    return int(number)


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
    return _whole(data, row, "offset", value, 0, ("起始天", "offset days"))


def _repeat(data: BlockData, row: int, value: CellValue) -> int:
    """Working days between touches of a repeating step."""
    return _whole(data, row, "repeat", value, 1, ("重复间隔", "repeat every"))


def _priority(data: BlockData, row: int, value: CellValue) -> int:
    """The step's priority (1 is highest)."""
    return _whole(data, row, "priority", value, 1, ("优先级", "priority"))


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
            else _whole(data, row, "capacity", rec["capacity"], 1, ("每日容量", "daily capacity"))
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


def _parse_holidays(settings: Settings) -> tuple[tuple[dt.date, ...], tuple[dt.date, ...]]:
    """The company's extra days off and extra working days."""
    data = settings.block("holidays")
    off: list[dt.date] = []
    work: list[dt.date] = []
    for row, rec in data.records():
        if is_blank(rec["date"]) and is_blank(rec["type"]):
            continue
        day = _holiday_date(data, row, rec["date"])
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


def _holiday_date(data: BlockData, row: int, value: CellValue) -> dt.date:
    """The day a holiday adjustment is for."""
    try:
        day = parse_date(value)
    except ValueError as exc:
        raise data.error(row, "date", tr(f"日期无法识别：{exc}", f"not a date: {exc}")) from None
    if day is None:
        raise data.error(row, "date", tr("日期不能为空", "the date is empty"))
    return day
