"""Settings mistakes are refused like bad data: exit 2 naming the sheet and cell, the book
untouched; doubtful values that can run are warnings naming the cell."""

from __future__ import annotations

import hashlib
import itertools
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetcrm.a1 import cell_ref
from sheetcrm.book.base import CellValue
from sheetcrm.book.file import FileBook
from sheetcrm.cli import main
from sheetcrm.demo import write_demo
from sheetcrm.errors import SettingsError
from sheetcrm.settings import SETTINGS_SHEET, Allowed, Settings, settings_sheet_spec
from sheetcrm.settings_check import check_settings
from sheetcrm.sheets.check import CHECK_SHEET

AS_OF = "2026-06-01"
Grid = list[list[CellValue]]


@pytest.fixture(scope="module")
def with_settings(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo book after a first run: its settings sheet as staff find it ([columns]
    filled). Small, so the many cases below each copy and run it quickly."""
    path = tmp_path_factory.mktemp("settings") / "客户名单.xlsx"
    write_demo(path, customers=150)
    assert main(["run", str(path), "--as-of", AS_OF, "--lang", "zh"]) == 1  # the demo's problems
    return path


def _index(grid: Grid, block: str, first: CellValue | None = None) -> int:
    """The 0-based row of a block's marker, or of its first row whose column A is ``first``."""
    marker = next(
        i for i, row in enumerate(grid) if row and str(row[0] or "").startswith(f"[{block}]")
    )
    if first is None:
        return marker
    end = next((i for i in range(marker + 1, len(grid)) if not any(grid[i])), len(grid))
    return next(i for i in range(marker + 1, end) if grid[i][0] == first)


def _header(grid: Grid, block: str) -> int:
    """The 0-based row of a block's header (after its marker and help line)."""
    marker = _index(grid, block)
    return marker + 2 if str(grid[marker + 1][0] or "").startswith("ℹ") else marker + 1


Edit = Callable[[Grid], str]  # changes the grid, returns the cell a message must name


def put(block: str, first: CellValue, column: int, value: CellValue) -> Edit:
    """Write a value into a block's row (found by its column A) at a 0-based column."""

    def edit(grid: Grid) -> str:
        at = _index(grid, block, first)
        grid[at][column] = value
        return cell_ref(at + 1, column + 1)

    return edit


def add(block: str, row: list[CellValue], column: int) -> Edit:
    """Add a row at the top of a block; the message must name its cell at ``column``."""

    def edit(grid: Grid) -> str:
        at = _header(grid, block) + 1
        width = len(grid[0])
        grid.insert(at, [*row, *[None] * (width - len(row))])
        if at + 1 < len(grid) and any(grid[at + 1]):
            grid.insert(at + 1, [None] * width)  # a block ends at a blank row: keep the next apart
        return cell_ref(at + 1, column + 1)

    return edit


def threshold(tier: str, column: int, value: CellValue) -> Edit:
    """Write into the b2c threshold row of a tier."""

    def edit(grid: Grid) -> str:
        at = _header(grid, "tier_thresholds") + 1
        while grid[at][1] != tier:
            at += 1
        grid[at][column] = value
        return cell_ref(at + 1, column + 1)

    return edit


def marker(block: str, text: str) -> Edit:
    """Rewrite a block's marker cell."""

    def edit(grid: Grid) -> str:
        at = _index(grid, block)
        grid[at][0] = text
        return f"A{at + 1}"

    return edit


@dataclass(frozen=True)
class Case:
    """One settings mistake: the edit, the expected exit and a fragment the message holds."""

    name: str
    edit: Edit
    says: str  # in the language the case runs in
    lang: str = "zh"
    code: int = 2


CASES = [
    Case("unknown key", put("general", "horizon_days", 0, "horizon_day"), "horizon_days", "en"),
    Case("unknown key zh", put("general", "backups", 0, "backup"), "是否应为「backups」"),
    Case("key twice", put("general", "preset", 0, "language"), "given twice", "en"),
    Case("as_of not a date", put("general", "as_of", 1, "2026-13-45"), "不是日期"),
    Case("language", put("general", "language", 1, "fr"), "zh / en", "en"),
    Case("preset", put("general", "preset", 1, "b2x"), "b2c / b2b"),
    Case("horizon 0", put("general", "horizon_days", 1, 0), "1 to 366", "en"),
    Case("horizon 400", put("general", "horizon_days", 1, 400), "1 到 366"),
    Case("horizon text", put("general", "horizon_days", 1, "thirty"), "whole number", "en"),
    Case("horizon INF", put("general", "horizon_days", 1, "inf"), "整数"),
    Case("backups fraction", put("general", "backups", 1, 2.5), "whole number", "en"),
    Case("country", put("general", "country", 1, "ZZ"), "ZZ"),
    Case(
        "unknown block", marker("general", "[genral] 常规 General"), "did you mean 'general'", "en"
    ),
    Case("unknown block zh", marker("reps", "[rep] 销售人员"), "未知的区块 [rep]"),
    Case("columns header missing", put("columns", "mobile", 1, "手机号码"), "相近的表头：手机"),
    Case("columns header missing en", put("columns", "amount", 1, "Revenue"), "nearest", "en"),
    Case("columns role unknown", put("columns", "mobile", 0, "mobil"), "未知的角色"),
    Case("rule points", put("tier_rules", "满意度", 3, "many"), "must be a number", "en"),
    Case("rule decay 0", put("tier_rules", "互动次数", 4, 0), "> 0"),
    Case("threshold below next", threshold("高价值客户", 4, 30), "高价值客户"),
    Case("threshold equal", threshold("普通客户", 4, 35), "out of order", "en"),
    Case("catch-all in the middle", threshold("潜力客户", 4, None), "兜底"),
    Case("threshold code twice", threshold("普通客户", 3, "B"), "used twice", "en"),
    Case("threshold text", threshold("潜力客户", 4, "高"), "数字"),
    Case("threshold preset", threshold("潜力客户", 0, "b2d"), "b2c / b2b", "en"),
    Case("rep capacity 0", add("reps", ["王五", 0], 1), "at least 1", "en"),
    Case("rep capacity negative", add("reps", ["王五", -3], 1), "≥ 1"),
    Case("rep capacity huge", add("reps", ["王五", 500], 1), "likely a typo", "en", 1),
    Case("limit 0", put("channel_limits", "sms", 1, 0), "≥ 1"),
    Case("limit fraction", put("channel_limits", "email", 1, 2.5), "whole number", "en"),
    Case("limit channel", put("channel_limits", "sms", 0, "fax"), "sms / email"),
    Case("cadence offset", put("cadences", "流失风险 churn", 2, -1), "at least 0", "en"),
    Case("cadence repeat", put("cadences", "A", 3, 0), "≥ 1"),
    Case("cadence priority", put("cadences", "B", 7, "high"), "whole number", "en"),
    Case("sms key", put("sms", "sender", 0, "senders"), "sender"),
    Case("sms marketing", put("sms", "marketing", 1, "maybe"), "maybe", "en"),
    Case("unreachable tier", threshold("高价值客户", 4, 1000), "no customer can reach", "en", 1),
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _edited(source: Path, folder: Path, edit: Edit) -> tuple[Path, str]:
    """A copy of the book with its settings sheet edited; the cell the message must name."""
    path = folder / source.name
    grid: Grid = [list(row) for row in FileBook(source, backup=False).read_grid(SETTINGS_SHEET)]
    cell = edit(grid)
    # Written as Excel would, with a library of its own: sheetcrm's writer reads the settings.
    workbook = openpyxl.load_workbook(source)
    sheet = workbook[SETTINGS_SHEET]
    sheet.delete_rows(1, sheet.max_row)
    for row in grid:
        sheet.append(row)
    workbook.save(path)
    return path, cell


def test_at_least_fifteen_mistakes_over_every_kind_of_block() -> None:
    assert len([case for case in CASES if case.code == 2]) >= 15
    kinds = {case.edit.__qualname__.split(".")[0] for case in CASES}
    assert kinds == {"put", "add", "threshold", "marker"}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_settings_mistake_names_its_cell(
    case: Case, with_settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, cell = _edited(with_settings, tmp_path, case.edit)
    before = _digest(path)
    code = main(["run", str(path), "--as-of", AS_OF, "--lang", case.lang])
    out, err = capsys.readouterr()
    said = out + err
    assert code == case.code, said
    assert case.says in said
    assert cell in said
    if case.code == 2:
        assert SETTINGS_SHEET in err
        assert _digest(path) == before  # refused: the book byte-identical
        assert not (tmp_path / ".sheetcrm-backups").exists()
    else:
        assert "sheetcrm: " not in err  # a warning: the run went on
        check = FileBook(path, backup=False).read_grid(CHECK_SHEET)
        assert any(cell in str(value) for row in check for value in row)


def test_the_untouched_settings_sheet_runs_without_warnings(
    with_settings: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / with_settings.name
    shutil.copy(with_settings, path)
    assert main(["run", str(path), "--as-of", AS_OF]) in (0, 1)
    out, err = capsys.readouterr()
    assert " ! " not in out and "sheetcrm: " not in err
    assert check_settings(Settings([list(row) for row in settings_sheet_spec().rows])) == []


def test_a_relabelled_and_reordered_sheet_of_defaults_is_not_a_mistake() -> None:
    grid = [list(row) for row in settings_sheet_spec().rows]
    general = _header(grid, "general")
    grid[general] = ["Key", "Val", "Comment"]  # headers are matched by position
    assert check_settings(Settings(grid)) == []


@settings(max_examples=200, deadline=None)
@given(
    low=st.integers(-5, 5),
    high=st.integers(-5, 20),
    value=st.one_of(
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=6),
    ),
)
def test_a_whole_number_read_is_one_in_range_or_refused(
    low: int, high: int, value: CellValue
) -> None:
    allowed = Allowed("whole", low=low, high=high)
    try:
        number = allowed.read(value)
    except ValueError as exc:
        assert str(value) in str(exc)
        return
    if number is not None:
        assert isinstance(number, int) and low <= number <= high


@settings(max_examples=60, deadline=None)
@given(scores=st.lists(st.integers(0, 100), min_size=2, max_size=5))
def test_thresholds_are_accepted_exactly_when_strictly_falling(scores: list[int]) -> None:
    grid = [list(row) for row in settings_sheet_spec().rows]
    first = _header(grid, "tier_thresholds") + 1
    rows: Grid = [["b2c", f"T{n}", f"T{n}", f"C{n}", score] for n, score in enumerate(scores)]
    rows.append(["b2c", "rest", "rest", "Z", None])
    end = next(i for i in range(first, len(grid)) if not any(grid[i]))
    grid[first:end] = [[*row, None, None, None] for row in rows]
    falling = all(a > b for a, b in itertools.pairwise(scores))
    if falling:
        check_settings(Settings(grid))
    else:
        with pytest.raises(SettingsError, match="E"):
            check_settings(Settings(grid))
