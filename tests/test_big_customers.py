"""The benchmarks' big generated sheets: every name distribution, inline or shared strings."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sheetcrm.book.xlsx_read import XlsxReader
from sheetcrm.demo import BIG_NAMES, write_big_customers
from sheetcrm.demo_names import sample_names


@pytest.mark.parametrize("names", BIG_NAMES)
def test_each_distribution_reads_back_as_a_clean_table(names: str, tmp_path: Path) -> None:
    path = tmp_path / "big.xlsx"
    write_big_customers(path, 300, names=names)
    table = XlsxReader(path).read_customers()
    assert len(table.frame) == 300 and table.problems == []
    if names != "current":
        sample = sample_names(names, 300, 1)
        assert table.frame["name"].tolist() == [name.strip() for name in sample.names]  # as read
        assert table.frame["city"].tolist() == sample.cities.tolist()


def test_shared_strings_hold_the_same_table_as_inline(tmp_path: Path) -> None:
    inline, shared = tmp_path / "inline.xlsx", tmp_path / "shared.xlsx"
    write_big_customers(inline, 300, names="people")
    write_big_customers(shared, 300, names="people", shared_strings=True)
    with zipfile.ZipFile(shared) as package:
        assert "xl/sharedStrings.xml" in package.namelist()
        assert b't="inlineStr"' not in package.read("xl/worksheets/sheet1.xml")
    with zipfile.ZipFile(inline) as package:
        assert b't="inlineStr"' in package.read("xl/worksheets/sheet1.xml")
    assert (
        XlsxReader(shared).read_customers().frame.equals(XlsxReader(inline).read_customers().frame)
    )


def test_an_unknown_distribution_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="names must be one of"):
        write_big_customers(tmp_path / "big.xlsx", 10, names="klingon")
