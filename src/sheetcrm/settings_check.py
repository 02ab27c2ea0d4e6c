"""The settings sheet checked like data, once per job before any work.

A mistake that would make results quietly wrong stops the job (a ``SettingsError``, exit 2,
naming the sheet and cell and what to write instead); a value that is allowed but doubtful
becomes a warning (a :class:`~sheetcrm.book.base.Problem` naming the cell: on the console and
in 数据检查). What each value may be is declared on its block (``Block.allowed``); the checks
that span cells (order, duplicates, the customer table's headers) are here. Block by block:

- every block: its marker names a known block (else the nearest known one is suggested).
- ``[general]``: keys known (else the nearest suggested), none twice; ``as_of`` a date or blank;
  ``language`` zh/en; ``preset`` b2c/b2b; ``country`` a calendar the ``holidays`` package has;
  ``horizon_days`` whole 1–366; ``backups`` whole 1–100.
- ``[columns]``: role known (``table.column_mapping.column_overrides``); header one the customer sheet has
  (after reading it: else the nearest headers are listed); note free text.
- ``[tier_rules]``: points a number; decay days a number above 0 or blank; field, operator and
  value as the tiering reads them (after reading the table, whose headers a field may name);
  note free text.
- ``[tier_thresholds]``: preset b2c/b2b or blank; min score a number; per preset, rows best first
  with min scores strictly falling, one blank (catch-all) at most and last, codes distinct
  (else both cells are named); a min score above what the rules can give is a warning.
- ``[tier_segments]``: keys known (as the tiering reads them); model and name free text.
- ``[cadences]``: offset whole ≥ 0, repeat whole ≥ 1, priority whole ≥ 1; group, step, channel and
  template as the plan reads them (a template key not among the templates is the messages
  job's error); purpose free text; a step given twice refused.
- ``[reps]``: capacity whole ≥ 1 (above 200 a day: a warning); name given, not twice; channels
  known.
- ``[channel_limits]``: channel sms/email; limit whole ≥ 1 or blank.
- ``[holidays]``: as the plan reads it (a date, 休息/上班); note free text.
- ``[sms]``: keys known (else the nearest suggested), none twice; ``marketing`` yes/no;
  ``signature`` 【…】 (the demo's company name: a warning, an error with ``--export``);
  ``opt_out``, ``opt_out_en`` and ``sender`` free text; the note column free text everywhere.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

import holidays
from holidays import registry

from .book.base import CustomerTable, Problem
from .errors import SettingsError
from .headers import normalise_header
from .i18n import tr
from .messages.settings import parse_message_settings
from .schedule.capacity import parse_channel_limits
from .schedule.plan_settings import parse_plan_settings
from .settings import BlockData, Settings, parse_general, registered_blocks
from .table.column_mapping import column_overrides
from .tiering.settings import THRESHOLDS, parse_tier_settings
from .values import is_blank, parse_number

__all__ = ["check_against_table", "check_settings"]


def check_settings(settings: Settings) -> list[Problem]:
    """Refuse the settings sheet's first mistake (exit 2, naming its cell); the warnings."""
    if not settings.found:
        return []  # the documented defaults: written this run, nothing to check
    _known_blocks(settings)
    warnings: list[Problem] = []
    for block in registered_blocks():
        data = settings.block(block.key)
        if data.from_sheet:
            if block.keyed:
                _known_keys(data)
            warnings += _allowed_values(data)
    general = parse_general(settings)
    _known_country(settings.block("general"), general.country)
    for preset in ("b2c", "b2b"):
        _tier_order(settings.block(THRESHOLDS.key), preset)
    warnings += _unreachable_tiers(settings, general.preset)
    # What each block's own reader refuses is refused here too, before any work.
    column_overrides(settings)
    parse_plan_settings(settings)
    parse_channel_limits(settings)
    parse_message_settings(settings)
    return warnings


def check_against_table(settings: Settings, table: CustomerTable) -> None:
    """Refuse settings that name what the customer table does not have: a ``[columns]`` header,
    a tier rule's field."""
    data = settings.block("columns")
    present = {normalise_header(header) for header in table.headers if header}
    for row, record in data.records():
        header = record["header"]
        if is_blank(header) or normalise_header(header) in present:
            continue
        nearest = _nearest(str(header).strip(), [h for h in table.headers if h], 3)
        shown = "、".join(nearest or [h for h in table.headers if h][:8])
        raise data.error(
            row,
            "header",
            tr(
                f"[columns] 把 {record['role']} 对应到表头「{header}」，但客户表「{table.sheet}」"
                f"没有这一列；相近的表头：{shown}。请改成其中之一，或清空这一格",
                f"[columns] maps {record['role']} to the header '{header}', which the customer "
                f"sheet '{table.sheet}' does not have; nearest headers: {shown}. "
                "Write one of them, or clear the cell",
            ),
        )
    parse_tier_settings(settings, table.roles)


def _nearest(text: str, known: Sequence[str], count: int = 1) -> list[str]:
    """The known names closest to a misspelt one (none when nothing is close)."""
    return difflib.get_close_matches(text, list(known), n=count, cutoff=0.5)


def _did_you_mean(text: str, known: Sequence[str]) -> tuple[str, str]:
    """'did you mean …' in both languages, else the list of what is allowed."""
    nearest = _nearest(text, known)
    if nearest:
        return f"，是否应为「{nearest[0]}」？", f"; did you mean '{nearest[0]}'?"
    return f"；可用：{', '.join(known)}", f"; known: {', '.join(known)}"


def _known_blocks(settings: Settings) -> None:
    """Every block marker names a block sheetcrm reads."""
    known = [block.key for block in registered_blocks()]
    for key, row in settings.markers.items():
        if key not in known:
            zh, en = _did_you_mean(key, known)
            raise SettingsError(
                tr(f"未知的区块 [{key}]{zh}", f"unknown block [{key}]{en}"),
                sheet=settings.sheet,
                cell=f"A{row}",
            )


def _known_keys(data: BlockData) -> None:
    """Every key of a key/value block is one it has, and none is given twice."""
    known = [str(default[0]) for default in data.block.defaults]
    seen: dict[str, int] = {}
    for row, record in data.records():
        key = "" if is_blank(record["key"]) else str(record["key"]).strip()
        if not key:
            continue
        if key not in known:
            zh, en = _did_you_mean(key, known)
            raise data.error(
                row,
                "key",
                tr(
                    f"[{data.block.key}] 中没有设置 '{key}'{zh}",
                    f"[{data.block.key}] has no setting '{key}'{en}",
                ),
            )
        if key in seen:
            first = data.cell(seen[key], "key")
            raise data.error(
                row,
                "key",
                tr(
                    f"设置 '{key}' 出现了两次（另见 {first}）；请删除其中一行",
                    f"the setting '{key}' is given twice (also {first}); delete one of the rows",
                ),
            )
        seen[key] = row


def _allowed_values(data: BlockData) -> list[Problem]:
    """Each value as its block allows (else its cell's error); warnings for unusual ones."""
    warnings: list[Problem] = []
    for row, record in data.records():
        if data.block.keyed:
            key = "" if is_blank(record["key"]) else str(record["key"]).strip()
            cells = [(key, "value", record["value"])]
        else:
            cells = [(column, column, record[column]) for column, _ in data.block.allowed]
        for name, column, value in cells:
            allowed = data.block.allowed_for(name)
            if allowed is None:
                continue
            try:
                number = allowed.read(value)
            except ValueError as exc:
                raise data.error(row, column, f"{_label(data, name)} {exc}") from None
            usual = allowed.usual
            if usual is not None and isinstance(number, int | float) and number > usual:
                warnings.append(_unusual(data, row, column, value, usual))
    return warnings


def _label(data: BlockData, name: str) -> str:
    """How a key or column is named in messages: the key itself, or its column's header."""
    return dict(data.block.columns).get(name, name) if not data.block.keyed else name


def _unusual(data: BlockData, row: int, column: str, value: object, usual: float) -> Problem:
    """A warning that a value is allowed but beyond what is usual."""
    label = _label(data, column)
    return Problem(
        data.sheet,
        row,
        label,
        str(value),
        tr(
            f"{data.cell(row, column)} 的{label} {value} 超过 {usual:g}，很可能是笔误",
            f"{label} {value} in {data.cell(row, column)} is above {usual:g}: likely a typo",
        ),
        tr("请核对；本次按所写的值运行", "check it; this run uses it as written"),
        "settings",
    )


def _known_country(data: BlockData, country: str) -> None:
    """The working-day calendar's country is one the ``holidays`` package has."""
    # The package's registry names every country without loading its calendar (that is slow).
    known = sorted({entry[1] for entry in registry.COUNTRIES.values()})
    if country in known:
        return
    try:
        holidays.country_holidays(country)  # another spelling it takes (a three-letter code)
        return
    except NotImplementedError:
        pass
    row = data.mapping().get("country", (0, None))[0]
    zh, en = _did_you_mean(country, known)
    raise SettingsError(
        tr(f"没有国家代码 '{country}' 的工作日历{zh}", f"no calendar for country '{country}'{en}")
        if _nearest(country, known)
        else tr(
            f"没有国家代码 '{country}' 的工作日历；请写两位代码，如 CN、US、DE",
            f"no calendar for country '{country}'; write a two-letter code such as CN, US, DE",
        ),
        sheet=data.sheet,
        cell=data.cell(row, "value") if row else "B?",
    )


def _tier_order(data: BlockData, preset: str) -> None:
    """A preset's tiers go best first: min scores strictly falling, the catch-all last and
    alone, codes distinct; else both cells are named."""
    previous: tuple[int, str, float | None] | None = None
    codes: dict[str, int] = {}
    for row, record in data.records():
        if str(record["preset"] or "").strip().lower() not in ("", preset) or is_blank(
            record["tier"]
        ):
            continue
        tier = str(record["tier"]).strip()
        minimum = parse_number(record["min_score"])  # a number: checked by Block.allowed
        code = "" if is_blank(record["code"]) else str(record["code"]).strip()
        if code in codes:
            raise data.error(
                row,
                "code",
                tr(
                    f"{preset} 的等级代码 {code} 重复（另见 {data.cell(codes[code], 'code')}）",
                    f"tier code {code} of {preset} is used twice "
                    f"(also {data.cell(codes[code], 'code')})",
                ),
            )
        codes[code] = row
        if previous is not None:
            _ordered(data, preset, previous, (row, tier, minimum))
        previous = (row, tier, minimum)


def _ordered(
    data: BlockData,
    preset: str,
    above: tuple[int, str, float | None],
    below: tuple[int, str, float | None],
) -> None:
    """Two tiers in sheet order: the upper one's min score strictly above the lower one's."""
    (row_a, tier_a, min_a), (row_b, tier_b, min_b) = above, below
    cell_a, cell_b = data.cell(row_a, "min_score"), data.cell(row_b, "min_score")
    if min_a is None:
        raise data.error(
            row_b,
            "min_score",
            tr(
                f"{preset} 的兜底等级「{tier_a}」（{cell_a} 留空）须排在最后，"
                f"但「{tier_b}」（{cell_b}）在它下面；请把兜底等级移到最后，只留一个",
                f"the catch-all tier '{tier_a}' of {preset} ({cell_a}, blank) must come last, "
                f"but '{tier_b}' ({cell_b}) is below it; move the catch-all to the end, one only",
            ),
        )
    if min_b is not None and min_b >= min_a:
        raise data.error(
            row_b,
            "min_score",
            tr(
                f"{preset} 的分级阈值顺序不对：「{tier_b}」的最低分 {min_b:g}（{cell_b}）不低于排在"
                f"它上面的「{tier_a}」的 {min_a:g}（{cell_a}）；等级从高到低排列，最低分须依次递减",
                f"the {preset} tier thresholds are out of order: '{tier_b}' has min score "
                f"{min_b:g} ({cell_b}), not below {min_a:g} of '{tier_a}' above it ({cell_a}); "
                "tiers go best first, each min score below the one above",
            ),
        )


def _unreachable_tiers(settings: Settings, preset: str) -> list[Problem]:
    """Warnings for min scores above the most points the rules can give together."""
    rules = settings.block("tier_rules")
    most = sum(
        max(parse_number(record["points"]) or 0.0, 0.0)
        for _, record in rules.records()
        if not is_blank(record["field"])
    )
    data = settings.block(THRESHOLDS.key)
    warnings: list[Problem] = []
    for row, record in data.records():
        if str(record["preset"] or "").strip().lower() not in ("", preset):
            continue
        minimum = parse_number(record["min_score"])
        if minimum is not None and minimum > most and data.from_sheet:
            cell = data.cell(row, "min_score")
            warnings.append(
                Problem(
                    data.sheet,
                    row,
                    dict(data.block.columns)["min_score"],
                    minimum,
                    tr(
                        f"等级「{record['tier']}」的最低分 {minimum:g}（{cell}）高于所有规则分数之和 "
                        f"{most:g}：没有客户能达到",
                        f"no customer can reach tier '{record['tier']}': its min score {minimum:g} "
                        f"({cell}) is above {most:g}, the rules' points together",
                    ),
                    tr(
                        "请降低最低分或提高规则分数",
                        "lower the min score or raise the rules' points",
                    ),
                    "settings",
                )
            )
    return warnings
