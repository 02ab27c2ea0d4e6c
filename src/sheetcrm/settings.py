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

A block also declares what its values may be (:class:`Allowed`): per key in a key/value
block (``keyed``, the keys being those of its defaults), per column in a table block.
:mod:`sheetcrm.settings_check` checks the whole sheet against these once per job.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .a1 import cell_ref
from .book.base import CellValue, SheetSpec
from .errors import SettingsError
from .i18n import tr
from .values import is_blank, parse_bool, parse_date, parse_number

__all__ = [
    "GENERAL",
    "SETTINGS_SHEET",
    "Allowed",
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

Kind = Literal["text", "whole", "number", "date", "choice", "bool"]


@dataclass(frozen=True)
class Allowed:
    """What one settings value may hold: its kind, range or choices; above ``usual`` it is
    allowed but warned about (the run goes on)."""

    kind: Kind = "text"
    low: float | None = None  # inclusive
    high: float | None = None  # inclusive
    above: float | None = None  # exclusive lower bound (a decay of 0 days means nothing)
    choices: tuple[str, ...] = ()  # lower-case
    usual: float | None = None

    def read(self, value: CellValue) -> object:
        """The value parsed (None when blank), or ValueError saying what it should be."""
        if is_blank(value):
            return None
        if self.kind == "date":
            try:
                return parse_date(value)
            except ValueError as exc:
                raise ValueError(
                    tr(
                        f"不是日期（{exc}）；请写成 2026-03-05 或留空",
                        f"is not a date ({exc}); write it as 2026-03-05 or leave it blank",
                    )
                ) from None
        if self.kind == "bool":
            return parse_bool(value)
        if self.kind == "choice":
            text = str(value).strip().lower()
            if text not in self.choices:
                raise ValueError(self.wanted(value))
            return text
        if self.kind == "text":
            return str(value).strip()
        try:
            number = parse_number(value)
        except ValueError:
            number = None
        if number is None or not self._in_range(number):
            raise ValueError(self.wanted(value))
        return int(number) if self.kind == "whole" else number

    def _in_range(self, number: float) -> bool:
        """True when a number is finite, whole where it must be, and within the bounds."""
        if number != number or number in (float("inf"), float("-inf")):
            return False
        if self.kind == "whole" and not float(number).is_integer():
            return False
        return not (
            (self.low is not None and number < self.low)
            or (self.high is not None and number > self.high)
            or (self.above is not None and number <= self.above)
        )

    def wanted(self, value: CellValue) -> str:
        """What the value should be, and what it is, in both languages."""
        if self.kind == "choice":
            allowed = " / ".join(self.choices)
            return tr(f"只能是 {allowed}，现在是 '{value}'", f"must be {allowed}, not '{value}'")
        zh_kind, en_kind = (
            ("整数", "a whole number") if self.kind == "whole" else ("数字", "a number")
        )
        bounds_zh, bounds_en = [], []
        if self.low is not None and self.high is not None:
            bounds_zh.append(f"{self.low:g} 到 {self.high:g}")
            bounds_en.append(f"{self.low:g} to {self.high:g}")
        elif self.low is not None:
            bounds_zh.append(f"≥ {self.low:g}")
            bounds_en.append(f"at least {self.low:g}")
        if self.above is not None:
            bounds_zh.append(f"> {self.above:g}")
            bounds_en.append(f"above {self.above:g}")
        if self.high is not None and self.low is None:
            bounds_zh.append(f"≤ {self.high:g}")
            bounds_en.append(f"at most {self.high:g}")
        zh = f"须为{zh_kind}" + (f"（{'，'.join(bounds_zh)}）" if bounds_zh else "")
        en = f"must be {en_kind}" + (f" ({', '.join(bounds_en)})" if bounds_en else "")
        return tr(f"{zh}，现在是 '{value}'", f"{en}, not '{value}'")


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
    keyed: bool = False  # a key/value block: the known keys are those of its defaults
    allowed: tuple[tuple[str, Allowed], ...] = ()  # key (keyed) or column key → its values

    def allowed_for(self, key: str) -> Allowed | None:
        """What a key's (keyed block) or a column's values may be, when the block says."""
        return dict(self.allowed).get(key)


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

    def value(self, row_number: int, column_key: str, value: CellValue) -> object:
        """A table block's cell read as its block allows, else the SettingsError naming it."""
        try:
            return (self.block.allowed_for(column_key) or Allowed()).read(value)
        except ValueError as exc:
            label = dict(self.block.columns)[column_key]
            raise self.error(row_number, column_key, f"{label} {exc}") from None

    def read(self, key: str) -> object:
        """A key/value block's value for a key, read as its block allows (blank: the default),
        else the SettingsError naming its cell."""
        row, value = self.mapping().get(key, (0, None))
        if is_blank(value):
            value = next(default[1] for default in self.block.defaults if default[0] == key)
        allowed = self.block.allowed_for(key) or Allowed()
        try:
            return allowed.read(value)
        except ValueError as exc:
            cell = self.cell(row, "value") if row else "B?"
            raise SettingsError(f"{key} {exc}", sheet=self.sheet, cell=cell) from None

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
        self.markers: dict[str, int] = {}  # block key as found → Excel row of its marker
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
            self.markers.setdefault(key, index)
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
        keyed=True,
        allowed=(
            ("as_of", Allowed("date")),
            ("language", Allowed("choice", choices=("zh", "en"))),
            ("preset", Allowed("choice", choices=("b2c", "b2b"))),
            ("horizon_days", Allowed("whole", low=1, high=366)),
            ("backups", Allowed("whole", low=1, high=100)),
        ),
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
    as_of, horizon_days, backups = (data.read(k) for k in ("as_of", "horizon_days", "backups"))
    assert isinstance(horizon_days, int) and isinstance(backups, int)  # Allowed("whole")
    return GeneralSettings(
        as_of=as_of if isinstance(as_of, dt.date) else None,
        language=str(data.read("language")),
        preset=str(data.read("preset")),
        country=str(data.read("country") or "CN").upper(),
        horizon_days=horizon_days,
        backups=backups,
    )
