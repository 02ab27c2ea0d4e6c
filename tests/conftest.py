"""Shared pytest set-up: skip LibreOffice and corpus tests where those are missing; the demo book."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from libreoffice import soffice
from sheetcrm.demo import write_demo

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "xlsxwriter"
# A representative handful of the corpus, kept in the repository so every clone runs the test.
BUNDLED_CORPUS = Path(__file__).resolve().parent / "data" / "corpus"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip tests marked libreoffice/corpus, saying why, when the tool or data is absent."""
    no_office = pytest.mark.skip(
        reason="LibreOffice (soffice) not installed: run tools/setup-libreoffice.sh"
    )
    no_corpus = pytest.mark.skip(reason=f"workbook corpus not found at {CORPUS}")
    for item in items:
        if "libreoffice" in item.keywords and soffice() is None:
            item.add_marker(no_office)
        if "corpus" in item.keywords and not CORPUS.is_dir():
            item.add_marker(no_corpus)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The wider folder of Excel-made workbooks (the team's, beside the repository)."""
    return CORPUS


@pytest.fixture(scope="session")
def bundled_corpus_dir() -> Path:
    """The Excel-made workbooks kept in the repository."""
    return BUNDLED_CORPUS


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workbook (2,000 customers), written once per test module; copy before writing."""
    path = tmp_path_factory.mktemp("demo") / "客户名单.xlsx"
    write_demo(path)
    return path


@pytest.fixture
def book_path(demo: Path, tmp_path: Path) -> Path:
    """A copy of the demo workbook a test may change."""
    path = tmp_path / demo.name
    shutil.copy(demo, path)
    return path
