"""The settings sheet: tables staff edit in Excel, parsed into typed settings.

All settings live in one sheet, ``sheetcrm 设置``, as a stack of blocks. Each
block starts with a marker cell in column A such as ``[tier_rules] 分级规则``,
then a header row, then data rows until the first blank row::

    [tier_rules] 分级规则 Tier rules
    字段 Field | 运算 Operator | 值 Value | 分数 Points
    累计金额   | >=            | 50000   | 40
    ...
    <blank row>
    [general] 常规 General
    ...

Jobs declare their blocks (key, columns, documented defaults) with
:func:`register`; the first run writes every registered block with its
defaults. A block missing from the sheet falls back to its defaults. Columns
are matched by position, so staff may relabel the headers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from .a1 import cell_ref
from .book.base import CellValue, SheetSpec
from .errors import SettingsError
from .i18n import tr
from .values import parse_date, parse_number

__all__ = [
    "GENERAL",
    "SETTINGS_SHEET",
    "Block",
    "BlockData",
    "GeneralSettings",
    "Settings",
    "filled_settings_sheet",
    "parse_general",
    "register",
    "registered_blocks",
    "settings_sheet_spec",
]

SETTINGS_SHEET = "sheetcrm 设置"

_MARKER = re.compile(r"^\s*\[([A-Za-z0-9_]+)\]")


@dataclass(frozen=True)
class Block:
    """A settings table a job declares: its key, bilingual title, columns and defaults."""

    key: str
    title_zh: str
    title_en: str
    columns: tuple[tuple[str, str], ...]  # (key, bilingual header label)
    defaults: tuple[tuple[CellValue, ...], ...]
    help: str = ""  # one bilingual line written under the title
    order: int = 100  # position in the sheet (smaller first)


@dataclass(frozen=True)
class BlockData:
    """A block as found in the workbook (or its defaults): rows with their Excel row numbers."""

    block: Block
    sheet: str
    rows: tuple[tuple[int, tuple[CellValue, ...]], ...]  # (Excel row number, values)
    from_sheet: bool

    def records(self) -> Iterator[tuple[int, dict[str, CellValue]]]:
        """Each data row as (Excel row number, {column key: value})."""
        keys = [key for key, _ in self.block.columns]
        for row_number, values in self.rows:
            padded = list(values) + [None] * (len(keys) - len(values))
            yield row_number, dict(zip(keys, padded, strict=False))

    def cell(self, row_number: int, column_key: str) -> str:
        """The A1 reference of a column in a row, for error messages."""
        keys = [key for key, _ in self.block.columns]
        return cell_ref(row_number, keys.index(column_key) + 1)

    def error(self, row_number: int, column_key: str, message: str) -> SettingsError:
        """A SettingsError naming this sheet and the cell of a column in a row."""
        return SettingsError(message, sheet=self.sheet, cell=self.cell(row_number, column_key))

    def mapping(self) -> dict[str, tuple[int, CellValue]]:
        """A key/value block as {key: (Excel row number, value)}; first column is the key."""
        out: dict[str, tuple[int, CellValue]] = {}
        for row_number, values in self.rows:
            if values and values[0] not in (None, ""):
                out[str(values[0]).strip()] = (row_number, values[1] if len(values) > 1 else None)
        return out


_REGISTRY: dict[str, Block] = {}


def register(block: Block) -> Block:
    """Declare a settings block (idempotent for the same key)."""
    _REGISTRY[block.key] = block
    return block


def registered_blocks() -> list[Block]:
    """Every declared block, in sheet order."""
    return sorted(_REGISTRY.values(), key=lambda b: (b.order, b.key))


def _blank(value: CellValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Settings:
    """Every block of the settings sheet, or the defaults where the workbook has none."""

    def __init__(self, grid: Sequence[Sequence[CellValue]] | None, sheet: str = SETTINGS_SHEET):
        self.sheet = sheet
        self.found = grid is not None
        self._blocks: dict[str, tuple[tuple[int, tuple[CellValue, ...]], ...]] = {}
        if grid is not None:
            self._parse(grid)

    def _parse(self, grid: Sequence[Sequence[CellValue]]) -> None:
        index = 0
        while index < len(grid):
            first = grid[index][0] if grid[index] else None
            match = _MARKER.match(first) if isinstance(first, str) else None
            if not match:
                index += 1
                continue
            key = match.group(1)
            index += 1
            # An optional help line (a single text cell that is not a header) may follow the title.
            rows: list[tuple[int, tuple[CellValue, ...]]] = []
            header_seen = False
            while index < len(grid) and not all(_blank(v) for v in grid[index]):
                values = tuple(grid[index])
                if isinstance(values[0], str) and _MARKER.match(values[0]):
                    break
                if not header_seen:
                    if self._is_help_line(values):
                        index += 1
                        continue
                    header_seen = True
                else:
                    rows.append((index + 1, values))
                index += 1
            if key in self._blocks:
                raise SettingsError(
                    tr(
                        f"区块 [{key}] 出现了两次，请删除其中一个",
                        f"block [{key}] appears twice; delete one of them",
                    ),
                    sheet=self.sheet,
                    cell=f"A{index}",
                )
            self._blocks[key] = tuple(rows)

    @staticmethod
    def _is_help_line(values: tuple[CellValue, ...]) -> bool:
        filled = [v for v in values if not _blank(v)]
        return len(filled) == 1 and isinstance(values[0], str) and values[0].startswith(("ℹ", "#"))

    def block(self, key: str) -> BlockData:
        """The named block from the sheet, or its registered defaults."""
        block = _REGISTRY[key]
        if key in self._blocks:
            return BlockData(block, self.sheet, self._blocks[key], from_sheet=True)
        defaults = tuple((0, row) for row in block.defaults)
        return BlockData(block, self.sheet, defaults, from_sheet=False)


def settings_sheet_spec(
    filled: Mapping[str, Sequence[Sequence[CellValue]]] | None = None,
) -> SheetSpec:
    """The settings sheet with every registered block: its documented defaults, or the rows in
    ``filled`` (block key → rows, such as the [columns] block as detected)."""
    rows: list[list[CellValue]] = [
        [
            tr(
                "sheetcrm 设置 —— 在下面的表格中修改规则；删除整个区块即恢复默认值。",
                "sheetcrm settings — edit the tables below; delete a whole block to restore its defaults.",
            )
        ],
        [],
    ]
    for block in registered_blocks():
        rows.append([f"[{block.key}] {block.title_zh} {block.title_en}"])
        if block.help:
            rows.append([f"ℹ {block.help}"])
        rows.append([label for _, label in block.columns])
        rows.extend(list(row) for row in (filled or {}).get(block.key, block.defaults))
        rows.append([])
    return _sheet(rows)


def filled_settings_sheet(
    grid: Sequence[Sequence[CellValue]], key: str, filling: Sequence[Sequence[CellValue]]
) -> SheetSpec | None:
    """The settings sheet as staff left it with an empty block filled in, or None when the
    block is missing or holds rows already: what staff typed is never overwritten."""
    settings = Settings(grid)
    if key not in settings._blocks or settings._blocks[key]:
        return None
    rows = [list(row) for row in grid]
    at = next(
        index
        for index, row in enumerate(rows)
        if row and isinstance(row[0], str) and (m := _MARKER.match(row[0])) and m.group(1) == key
    )
    at += 1
    if at < len(rows) and Settings._is_help_line(tuple(rows[at])):
        at += 1
    at += 1  # the block's header row
    rows[at:at] = [list(row) for row in filling]
    if at + len(filling) < len(rows) and any(not _blank(v) for v in rows[at + len(filling)]):
        rows.insert(at + len(filling), [])  # a block ends at the first blank row
    return _sheet(rows)


def _sheet(rows: list[list[CellValue]]) -> SheetSpec:
    """The settings sheet's layout: titles and the header row under each in bold."""
    bold: list[tuple[int, int]] = [(0, 0)]
    header_next = False
    for index, row in enumerate(rows):
        first = row[0] if row else None
        if isinstance(first, str) and _MARKER.match(first):
            bold.append((index, 0))
            header_next = True
        elif header_next and not Settings._is_help_line(tuple(row)):
            bold.extend((index, col) for col, value in enumerate(row) if not _blank(value))
            header_next = False
    return SheetSpec(
        name=SETTINGS_SHEET,
        rows=rows,
        header_rows=0,
        widths={col: 22 for col in range(max((len(row) for row in rows), default=1))},
        freeze=None,
        autofilter=False,
        bold_cells=bold,
        tab_color="808080",
    )


GENERAL = register(
    Block(
        key="general",
        title_zh="常规",
        title_en="General",
        columns=(("key", "设置 Setting"), ("value", "值 Value"), ("note", "说明 Note")),
        defaults=(
            ("as_of", None, "统计日期，留空=今天 / as-of date, blank = today"),
            ("language", "zh", "zh 或 en：写入工作簿的语言 / language of labels written"),
            ("preset", "b2c", "b2c（高价值/潜力/普通/低价值）或 b2b（战略/重要/普通/潜力）"),
            ("country", "CN", "工作日历国家代码 / working-day calendar country (CN, US, DE…)"),
            ("horizon_days", 30, "跟进计划天数 / follow-up plan horizon in days (1–366)"),
            (
                "backups",
                5,
                "保留最近几次运行前的备份（另有第一次的原件）/ run backups kept (1–100)",
            ),
        ),
        help="统计日期、语言和日历 · as-of date, language and calendar",
        order=0,
    )
)


@dataclass(frozen=True)
class GeneralSettings:
    """The shared settings every job reads from the ``[general]`` block."""

    as_of: dt.date | None
    language: str
    preset: str
    country: str
    horizon_days: int
    backups: int


def parse_general(settings: Settings) -> GeneralSettings:
    """The ``[general]`` block, validated; blank values take their defaults."""
    data = settings.block("general")
    values = data.mapping()
    defaults = {row[0]: row[1] for row in GENERAL.defaults}

    def get(key: str) -> tuple[int, CellValue]:
        row, value = values.get(key, (0, None))
        return row, (defaults[key] if value in (None, "") else value)

    def fail(key: str, message: str) -> SettingsError:
        row, _ = values.get(key, (0, None))
        return SettingsError(message, sheet=data.sheet, cell=f"B{row}" if row else "B?")

    _, raw_as_of = get("as_of")
    try:
        as_of = parse_date(raw_as_of)
    except ValueError as exc:
        raise fail(
            "as_of",
            tr(
                f"统计日期无法识别：{exc}；请写成 2026-03-05 或留空",
                f"as_of is not a date: {exc}; write it as 2026-03-05 or leave it blank",
            ),
        ) from None
    _, language = get("language")
    if str(language).strip().lower() not in ("zh", "en"):
        raise fail(
            "language",
            tr(
                f"语言只能是 zh 或 en，现在是 '{language}'",
                f"language must be zh or en, not '{language}'",
            ),
        )
    _, preset = get("preset")
    if str(preset).strip().lower() not in ("b2c", "b2b"):
        raise fail(
            "preset",
            tr(
                f"预设只能是 b2c 或 b2b，现在是 '{preset}'",
                f"preset must be b2c or b2b, not '{preset}'",
            ),
        )
    _, country = get("country")
    _, horizon = get("horizon_days")
    try:
        horizon_days = int(parse_number(horizon) or 0)
    except ValueError:
        horizon_days = 0
    if not 1 <= horizon_days <= 366:
        raise fail(
            "horizon_days",
            tr(
                f"跟进天数须在 1 到 366 之间，现在是 '{horizon}'",
                f"horizon_days must be 1 to 366, not '{horizon}'",
            ),
        )
    _, kept = get("backups")
    try:
        backups = int(parse_number(kept) or 0)
    except ValueError:
        backups = 0
    if not 1 <= backups <= 100:
        raise fail(
            "backups",
            tr(
                f"备份份数须在 1 到 100 之间，现在是 '{kept}'",
                f"backups must be 1 to 100, not '{kept}'",
            ),
        )
    return GeneralSettings(
        as_of=as_of,
        language=str(language).strip().lower(),
        preset=str(preset).strip().lower(),
        country=str(country).strip().upper() or "CN",
        horizon_days=horizon_days,
        backups=backups,
    )
