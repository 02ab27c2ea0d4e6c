"""Exports safe to open: no formula in a CSV cell, no control character out, names any system holds."""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _messages_data import AS_OF, customers, tiers
from sheetcrm.exports.messages import preview, write_eml, write_sms_csv
from sheetcrm.exports.plan import write_csv, write_ics
from sheetcrm.exports.safe_text import csv_cell, file_name, printable
from sheetcrm.messages import MessageSettings, compose_messages
from sheetcrm.schedule import build_plan, parse_plan_settings
from sheetcrm.settings import Settings

# Written independently of the module: OWASP's triggers, a plain signed number excepted.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _starts_formula(cell: str) -> bool:
    start = cell.lstrip(" \n")
    return start.startswith(_TRIGGERS) and not _NUMBER.fullmatch(start)


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","点我")', '\'=HYPERLINK("http://x","点我")'),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\n=1+1"),  # a carriage return is a line break
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("\x1b=1", "'=1"),  # the control character goes, the formula is still caught
        ("+447911123456", "+447911123456"),  # an E.164 number is data
        ("-12.5", "-12.5"),
        (" =1", "' =1"),  # some importers trim cells
        ("\n@x", "'\n@x"),
        ("张总您好", "张总您好"),
        (3, 3),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, expected: object) -> None:
    assert csv_cell(value) == expected


def test_control_characters_are_removed() -> None:
    assert printable("a\x1b[31mb\x07c\u202ed\x85e\x7f\tf\ng") == "a[31mbcde\tf\ng"
    assert printable("a\r\nb\tc", one_line=True) == "a b c"


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("王 芳", "王_芳.ics"),
        ('a<b>c:d"e/f\\g|h?i*j', "a_b_c_d_e_f_g_h_i_j.ics"),
        ("CON", "_CON.ics"),
        ("com1", "_com1.ics"),
        ("nul.txt", "_nul.txt.ics"),
        ("name. . ", "name.ics"),
        ("\x1b\x07", "_.ics"),
        ("", "_.ics"),
    ],
)
def test_file_names_any_system_holds(stem: str, expected: str) -> None:
    assert file_name(stem, ".ics", set()) == expected


def test_file_names_are_capped_and_numbered() -> None:
    taken: set[str] = set()
    long = file_name("张" * 120, ".ics", taken)
    assert len(long.encode("utf-8")) <= 130 and long.endswith(".ics")
    assert file_name("张" * 121, ".ics", taken) == long.replace(".ics", "_2.ics")
    assert file_name("A", ".ics", taken) == "A.ics"
    assert file_name("a", ".ics", taken) == "a_2.ics"  # Windows sees one name


def test_an_owner_name_of_120_characters_exports(tmp_path: Path) -> None:
    touches = build_plan(
        customers().assign(owner="王" * 120),
        tiers(),
        parse_plan_settings(Settings(None)),
        AS_OF,
    ).touches
    paths = write_ics(touches, tmp_path)
    assert len(paths) == 1 and paths[0].exists()
    result = compose_messages(
        customers().assign(name="欧阳" * 60, contact=None), tiers(), MessageSettings(), as_of=AS_OF
    )
    assert write_eml(result.messages, tmp_path / "emails", "a <a@example.com>")


_HOSTILE = st.sampled_from(
    [
        "=",
        "+",
        "-",
        "@",
        "\t",
        "\r",
        "\x1b",
        "\x07",
        "\u202e",
        " ",
        "=1+1",
        "=HYPERLINK(",
        "张",
        "a",
    ]
)
_CELL = st.lists(_HOSTILE, max_size=6).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(_CELL, _CELL, _CELL), min_size=4, max_size=4))
def test_no_exported_csv_cell_starts_a_formula(drawn: list[tuple[str, str, str]]) -> None:
    frame = customers().assign(
        name=[d[0] or "x" for d in drawn],
        contact=[d[1] or None for d in drawn],
        owner=[d[2] for d in drawn],
        title=[d[1] for d in drawn],
    )
    plan = build_plan(frame, tiers(), parse_plan_settings(Settings(None)), AS_OF).touches
    result = compose_messages(frame, tiers(), MessageSettings(), as_of=AS_OF, channels=("sms",))
    with tempfile.TemporaryDirectory() as folder:
        cells = _cells(write_csv(plan, Path(folder) / "followups.csv"))
        cells += _cells(write_sms_csv(result.messages, Path(folder) / "sms.csv"))
        names = [p.name for p in write_ics(plan, Path(folder) / "ics")]
    assert not [c for c in cells if _starts_formula(c) or _CONTROL.search(c)]
    assert not [n for n in names if _CONTROL.search(n)]
    assert not _CONTROL.search(preview(result.messages, 10).replace("\n", "").replace("\t", ""))
