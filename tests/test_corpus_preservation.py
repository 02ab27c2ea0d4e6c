"""Every Excel-made workbook in the corpus keeps every part sheetcrm did not mean to change.

For each book: add a sheetcrm sheet and, where there is a table (or a first
sheet with a header row), two result columns; save; then compare the zips
member by member. Two corpora: the 32 books kept in ``tests/data/corpus``
(every clone) and, where it is present beside the repository, the team's
993 (marked ``corpus``: skipped, with the reason, elsewhere).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from libreoffice import convert
from sheetcrm.a1 import column_number
from sheetcrm.book.base import ResultColumn, SheetSpec
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.errors import WorkbookError

SHEET = "sheetcrm 测试"
# Originals LibreOffice 7.4 cannot open either (checked untouched): a comment on cell XFD1048576
# keeps it busy for minutes.
LIBREOFFICE_HANGS = {"comment03.xlsx"}
_REF = re.compile(r"([A-Z]+)(\d+):([A-Z]+)(\d+)")


@dataclass
class Outcome:
    source: Path
    output: Path
    columns: str  # "table", "header", "refused: …" or "none"
    meant: set[str]  # parts the write was meant to change or add


def _first_header(writer: PackageWriter) -> tuple[str, int, int, list[str], int] | None:
    """(sheet, 1, 1, headers, last row) when the first sheet's row 1 starts with text in A1."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(writer.path))
    if not book.sheet_names:
        return None
    name = book.sheet_names[0]
    rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    if not rows or not (isinstance(rows[0][0], str) and rows[0][0].strip()):
        return None
    headers = []
    for value in rows[0]:
        if not (isinstance(value, str) and value.strip()):
            break
        headers.append(value)
    return name, 1, 1, headers, len(rows)


def _first_table(writer: PackageWriter) -> tuple[str, int, int, list[str], int, str] | None:
    """(sheet, header row, first column, headers, last row, name) of the first Excel Table."""
    package = writer.package
    for entry in writer._sheets():
        for _, rel_type, part in package.rels(entry.part).items():
            if rel_type.endswith("/table") and package.exists(part):
                root = etree.fromstring(package.read(part))
                match = _REF.fullmatch(root.get("ref", ""))
                if not match or root.get("headerRowCount") == "0":
                    continue
                ns = {"m": root.nsmap[None]}
                headers = [
                    c.get("name", "") for c in root.findall("m:tableColumns/m:tableColumn", ns)
                ]
                return (
                    entry.name,
                    int(match.group(2)),
                    column_number(match.group(1)),
                    headers,
                    int(match.group(4)),
                    root.get("displayName", ""),
                )
    return None


def _rewrite(source: Path, outdir: Path) -> Outcome:
    writer = PackageWriter(source)
    before = set(writer.package.names())
    columns = "none"
    table = _first_table(writer)
    place = table[:5] if table else _first_header(writer)
    if place:
        sheet, header_row, first_column, headers, last_row = place
        results = [
            ResultColumn("客户等级", ["A", "B", "=1+1"] * max(1, (last_row - header_row) // 3)),
            ResultColumn("score", list(range(last_row - header_row)), number_format="0.0"),
        ]
        try:
            writer.write_columns(
                sheet,
                header_row,
                first_column,
                last_row,
                table[5] if table else None,
                headers,
                results,
            )
            columns = "table" if table else "header"
        except WorkbookError as error:
            assert sheet in str(error)
            columns = f"refused: {error}"
    writer.write_sheet(SheetSpec(SHEET, [["客户", "金额"], ["张三", 1.5], ["=SUM(1)", None]]))
    output = outdir / source.name
    writer.save(output)  # saving to another file keeps the writer's record of what changed
    meant = {name for name in writer.package.names() if writer.package.is_changed(name)}
    assert before <= set(zipfile.ZipFile(output).namelist()) | meant
    return Outcome(source, output, columns, meant)


@dataclass(frozen=True)
class Expected:
    """What a corpus holds, measured: books, and places where columns went (at least)."""

    books: int
    tables: int
    headers: int
    refused_below: int


# Measured on the wider corpus: 36 tables, 200 header rows, 27 refusals (data right of the header),
# 730 neither; on the bundled one: 3 tables, 9 header rows, no refusal, 20 neither.
EXPECTED = {
    "bundled": Expected(books=32, tables=3, headers=9, refused_below=1),
    "wider": Expected(books=900, tables=30, headers=150, refused_below=60),
}


@pytest.fixture(scope="module", params=["bundled", pytest.param("wider", marks=pytest.mark.corpus)])
def corpus(request: pytest.FixtureRequest) -> str:
    """Which corpus the module's tests run on."""
    return str(request.param)


@pytest.fixture(scope="module")
def outcomes(
    corpus: str,
    corpus_dir: Path,
    bundled_corpus_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> list[Outcome]:
    folder = bundled_corpus_dir if corpus == "bundled" else corpus_dir
    outdir = tmp_path_factory.mktemp(f"corpus-out-{corpus}")
    books = sorted(p for p in folder.iterdir() if p.suffix in (".xlsx", ".xlsm"))
    return [_rewrite(book, outdir) for book in books]


def test_every_untouched_member_is_byte_identical(outcomes: list[Outcome], corpus: str) -> None:
    damaged = []
    for outcome in outcomes:
        with zipfile.ZipFile(outcome.source) as old, zipfile.ZipFile(outcome.output) as new:
            new_names = new.namelist()
            for info in old.infolist():
                if info.filename in outcome.meant:
                    continue
                if info.filename not in new_names:
                    damaged.append(f"{outcome.source.name}: lost {info.filename}")
                elif new.read(info.filename) != old.read(info.filename):
                    damaged.append(f"{outcome.source.name}: changed {info.filename}")
                elif new.getinfo(info.filename).compress_size != info.compress_size:
                    damaged.append(f"{outcome.source.name}: recompressed {info.filename}")
            kept = [n for n in old.namelist() if n in new_names]
            assert kept == [n for n in new_names if n in kept], f"{outcome.source.name}: order"
    assert not damaged, damaged[:20]
    assert len(outcomes) >= EXPECTED[corpus].books


def test_meant_changes_are_only_ours_and_well_formed(outcomes: list[Outcome]) -> None:
    allowed = re.compile(
        r"\[Content_Types\]\.xml|xl/workbook\.xml|xl/_rels/workbook\.xml\.rels|xl/styles\.xml"
        r"|xl/worksheets/sheet\d+\.xml|xl/tables/table\d+\.xml"
    )
    for outcome in outcomes:
        with zipfile.ZipFile(outcome.output) as new:
            assert new.testzip() is None
            for name in outcome.meant:
                assert allowed.fullmatch(name), f"{outcome.source.name}: touched {name}"
                etree.fromstring(new.read(name))  # raises on malformed XML


def test_columns_were_written_where_a_table_or_header_exists(
    outcomes: list[Outcome], corpus: str
) -> None:
    kinds = [o.columns.split(":")[0] for o in outcomes]
    expected = EXPECTED[corpus]
    assert kinds.count("table") >= expected.tables
    assert kinds.count("header") >= expected.headers
    assert kinds.count("refused") < expected.refused_below


@pytest.mark.libreoffice
def test_libreoffice_opens_every_output(outcomes: list[Outcome], tmp_path: Path) -> None:
    # Copies under short ASCII names: outputs are named after inputs, one folder for all.
    staged = tmp_path / "in"
    staged.mkdir()
    paths = []
    for index, outcome in enumerate(o for o in outcomes if o.source.name not in LIBREOFFICE_HANGS):
        path = staged / f"b{index:04d}{outcome.output.suffix}"
        shutil.copyfile(outcome.output, path)
        paths.append(path)
    # CSV of the first sheet is the cheapest proof that LibreOffice read the whole file.
    written = convert(paths, "csv", tmp_path / "out", strict=False, jobs=2, timeout=120)
    opened = [p for p in written if p.stat().st_size > 0]
    print(f"LibreOffice converted {len(opened)} of {len(paths)} outputs")
    assert len(opened) == len(paths)
