"""The splice on a re-run: rows that end in a previous run's results, taken apart in bulk.

Every way through (in bulk, row by row, in tiny pieces, fused tails or not, numpy's formula
test or the plain one) must write the same bytes, whatever sits at or right of the results.
"""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetcrm.book import row_scan, splice, xlsx_write
from sheetcrm.book.base import CellValue, ResultColumn
from sheetcrm.book.cell_xml import Encoded
from sheetcrm.book.xlsx_write import PackageWriter
from sheetcrm.tuning import Tuning

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"

# What a previous run (or a user since) left in a result column's cell: {r} is the row.
_OLD_CELL = st.sampled_from(
    [
        "",
        '<c r="{col}{r}" t="inlineStr"><is><t>old</t></is></c>',
        '<c r="{col}{r}" t="inlineStr"><is><t>fa:f of &lt;f</t></is></c>',
        '<c r="{col}{r}"><v>3</v></c>',
        '<c r="{col}{r}" s="0"/>',
        '<c r="{col}{r}"><f>1+1</f><v>2</v></c>',
        '<c r="{col}{r}" t="str"><f t="shared" si="0"/><v>x</v></c>',
    ]
)
# What may follow the results in a row: mostly nothing, or someone else's cell.
_AFTER = st.sampled_from(
    [
        *[""] * 5,
        '<c r="G{r}"><v>9</v></c>',
        '<c r="EA{r}"><v>1</v></c>',
        '<c r="FZ{r}"><f>A1</f></c>',
    ]
)


def _book(folder: Path, sheet_data: str) -> Path:
    """A minimal package: one sheet with this sheetData, no styles, no shared strings."""
    path = folder / f"s{abs(hash(sheet_data))}.xlsx"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{_REL}"><sheets><sheet '
        'name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG_REL}"><Relationship '
        f'Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><dimension ref="A1:F9"/>'
        f"{sheet_data}</worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, xml in parts.items():
            package.writestr(name, xml)
    return path


def _header() -> str:
    cells = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'
        for col, text in zip("ABCDEF", ["a", "b", "c", "d", "tier", "score"], strict=True)
    )
    return f'<row r="1">{cells}</row>'


@st.composite
def _rerun_rows(draw: st.DrawFn) -> tuple[str, int]:
    """sheetData of a sheet a run wrote results to (E, F), with odd things in and after them."""
    rows = [_header()]
    count = draw(st.integers(2, 12))
    # Else only what a run writes (the first result in every row): the sheet goes in bulk,
    # but for at most one row with a formula in the results.
    odd = draw(st.booleans())
    old_cell = _OLD_CELL if odd else _OLD_CELL.filter(lambda cell: "<f" not in cell)
    first_cell = old_cell if odd else old_cell.filter(bool)
    after = _AFTER if odd else st.just("")
    formula_in = draw(st.integers(0, count + 3))  # past the rows: none
    for r in range(2, count + 2):
        left = "".join(
            f'<c r="{col}{r}"><v>{r}</v></c>' for col in "ABCD" if draw(st.booleans()) or col == "A"
        )
        old = draw(first_cell).format(col="E", r=r) + draw(old_cell).format(col="F", r=r)
        if r == formula_in:
            old = old.replace("<v>", "<f>1</f><v>", 1) if "<v>" in old else old
        spans = ' spans="1:6"' if draw(st.integers(0, 5)) == 0 else ""
        rows.append(f'<row r="{r}"{spans}>{left}{old}{draw(after).format(r=r)}</row>')
    return "<sheetData>" + "".join(rows) + "</sheetData>", count


def _written(path: Path, count: int, values: list[CellValue], tuning: Tuning | None) -> bytes:
    """The sheet XML with the results written, and b"!" after it if a formula was overwritten."""
    writer = PackageWriter(path, tuning)
    # Either column may have no cell in a row: "fx" has no score.
    scores = [None if v == "fx" else len(str(v)) for v in values]
    results = [ResultColumn("tier", values), ResultColumn("score", scores)]
    writer.write_columns("Sheet1", 1, 1, count + 1, None, ["a", "b", "c", "d"], results)
    writer._settle()
    xml = writer.package.read("xl/worksheets/sheet1.xml")
    return xml + b"!" if writer._drop_calc_chain else xml


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sheet=_rerun_rows(),
    values=st.lists(st.sampled_from(["A", None, 1.5, "fx"]), min_size=12, max_size=12),
)
def test_a_rerun_writes_the_same_bytes_every_way(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sheet: tuple[str, int],
    values: list[CellValue],
) -> None:
    sheet_data, count = sheet
    path = _book(tmp_path, sheet_data)
    values = values[:count]
    expected = _written(path, count, values, None)
    with monkeypatch.context() as patch:
        patch.setattr(splice.RowSplicer, "bulk", lambda *args: None)
        assert _written(path, count, values, None) == expected
    assert _written(path, count, values, Tuning(piece=9)) == expected
    with monkeypatch.context() as patch:
        patch.setattr(splice, "_FUSED", 0)
        patch.setattr(row_scan, "_MANY_BYTES", 0)  # numpy's formula test on any length
        assert _written(path, count, values, None) == expected
    with monkeypatch.context() as patch:  # as a worker splices: letting go as it writes
        patch.setattr(splice, "_FUSED", 0)
        patch.setattr(splice, "_GIVE_BACK_EVERY", 0)
        patch.setattr(xlsx_write, "splice_part", functools.partial(splice.splice_part, forget=True))
        for tuning in (Tuning(row_block=2), Tuning(piece=9, row_block=2)):
            assert _written(path, count, values, tuning) == expected


def _out_of_order(tmp_path: Path) -> Path:
    """A sheet whose rows 4 and 5 come in the wrong order (Excel never writes so; others may)."""
    rows = [_header()] + [
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in (2, 3, 5, 4, 6, 7, 8)
    ]
    return _book(tmp_path, "<sheetData>" + "".join(rows) + "</sheetData>")


def test_a_splice_letting_go_refuses_rows_out_of_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _out_of_order(tmp_path)
    values: list[CellValue] = [f"理由{r}" for r in range(2, 9)]
    expected = _written(path, 7, values, Tuning(row_block=2))
    row_4 = '<row r="4"><c r="A4"><v>4</v></c><c r="E4" t="inlineStr"><is><t>理由4<'
    assert row_4.encode() in expected
    monkeypatch.setattr(splice, "_FUSED", 0)
    with monkeypatch.context() as patch:
        patch.setattr(xlsx_write, "splice_part", functools.partial(splice.splice_part, forget=True))
        with pytest.raises(splice._RowsOutOfOrderError):
            _written(path, 7, values, Tuning(row_block=2))
    # A worker's splice (which lets go) fails so, and is done again here.
    assert _written(path, 7, values, Tuning(row_block=2, background_part=0)) == expected


def test_a_worker_lets_go_of_each_text_once_its_rows_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [_header()] + [f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(2, 42)]
    path = _book(tmp_path, "<sheetData>" + "".join(rows) + "</sheetData>")
    values: list[CellValue] = [f"理由{r % 30}" for r in range(40)]  # rows 32..41 repeat some
    monkeypatch.setattr(splice, "_FUSED", 0)
    made: list[splice._Forgetting] = []
    real = splice._Forgetting.of

    def keep(encoded: Encoded) -> splice._Forgetting:
        made.append(real(encoded))
        return made[-1]

    monkeypatch.setattr(splice._Forgetting, "of", keep)
    monkeypatch.setattr(
        xlsx_write, "splice_part", functools.partial(splice.splice_part, forget=True)
    )
    xml = _written(path, 40, values, Tuning(row_block=4))
    tiers = made[0].tails  # the tier column's: every text, each let go once written
    assert sum(tail is splice._FORGOTTEN for tail in tiers) >= 26  # all but the last block's
    assert splice._FORGOTTEN not in xml and xml.count("理由".encode()) == 40


def test_a_rerun_of_plain_old_results_goes_in_bulk_and_keeps_cells_after_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = '<c r="E{r}" t="inlineStr"><is><t>old</t></is></c><c r="F{r}"><v>3</v></c>'
    rows = [_header()] + [
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c>{old.format(r=r)}</row>' for r in range(2, 40)
    ]
    path = _book(tmp_path, "<sheetData>" + "".join(rows) + "</sheetData>")
    merged: list[int] = []  # the rows that went through the row-by-row merge
    original = splice.RowSplicer.merge

    def counting(self: splice.RowSplicer, body: bytes, row: int, joined: bytes) -> bytes:
        merged.append(row)
        return original(self, body, row, joined)

    monkeypatch.setattr(splice.RowSplicer, "merge", counting)
    values: list[CellValue] = ["新"] * 38
    xml = _written(path, 38, values, None)
    assert merged == []  # every row in bulk
    assert b"old" not in xml
    assert '<c r="A39"><v>39</v></c><c r="E39" t="inlineStr"><is><t>新</t></is></c>'.encode() in xml
    # Someone's cell right of the results in one row: that row is merged, the cell kept.
    rows[19] = rows[19].replace("</row>", '<c r="G20"><v>7</v></c></row>')
    path = _book(tmp_path, "<sheetData>" + "".join(rows) + "</sheetData>")
    xml = _written(path, 38, values, None)
    assert 20 in merged  # that piece went row by row
    assert b'<c r="F20"><v>1</v></c><c r="G20"><v>7</v></c></row>' in xml


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            ["<f>", "<x:f ", "<f/>", ":f", "f", "<", ":", '<c r="A1">', "of", "<fo", "<ff", "xf"]
        ),
        max_size=12,
    )
)
def test_the_formula_test_agrees_with_the_pattern_at_any_length(pieces: list[str]) -> None:
    xml = "".join(pieces).encode()
    expected = row_scan._FORMULA.search(xml) is not None
    assert row_scan.has_formula(xml) is expected
    assert row_scan.has_formula(b" " * 70000 + xml) is expected  # long enough for numpy
