"""Exports: RFC 5545 calendars per rep and a CSV Excel opens with Chinese intact."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sheetcrm.exports.plan import fold_line, ics_escape, write_csv, write_ics
from sheetcrm.i18n import use_lang
from sheetcrm.schedule import STATUS_DONE, STATUS_OPEN

STAMP = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)


def touches() -> pd.DataFrame:
    rows = [
        (
            "T0000000001",
            "C1",
            "北京某某科技有限公司, 华北区; 重点客户" * 3,
            "王",
            "phone",
            STATUS_OPEN,
        ),
        ("T0000000002", "C2", "乙公司", "王", "email", STATUS_DONE),
        ("T0000000003", "C3", "丙公司", "李/三", "visit", STATUS_OPEN),
    ]
    return pd.DataFrame(
        {
            "touch_id": [r[0] for r in rows],
            "customer_id": [r[1] for r in rows],
            "customer": [r[2] for r in rows],
            "contact": "张总",
            "owner": [r[3] for r in rows],
            "channel": [r[4] for r in rows],
            "due": [dt.date(2026, 11, 24)] * 3,
            "purpose": "定期回访 regular call",
            "template": "revisit",
            "priority": 2,
            "step": "A#1",
            "status": [r[5] for r in rows],
            "done_date": None,
            "notes": "",
            "cancel_reason": "",
        }
    )


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_one_calendar_per_rep_with_open_touches_only(tmp_path: Path) -> None:
    with use_lang("zh"):
        paths = write_ics(touches(), tmp_path, stamp=STAMP)
    assert sorted(p.name for p in paths) == ["跟进_李_三.ics", "跟进_王.ics"]
    wang = (tmp_path / "跟进_王.ics").read_bytes()
    assert wang.count(b"BEGIN:VEVENT") == 1  # the done touch is not exported
    text = wang.decode("utf-8")
    lines = unfold(text)
    assert "UID:T0000000001@sheetcrm" in lines
    assert "DTSTART;VALUE=DATE:20261124" in lines
    assert "DTEND;VALUE=DATE:20261125" in lines
    assert "DTSTAMP:20261123T080000Z" in lines
    summary = next(line for line in lines if line.startswith("SUMMARY:"))
    assert "电话" in summary and "\\," in summary and "\\;" in summary
    assert text.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "\n" not in text.replace("\r\n", "")


# A content line never holds a line break: values are escaped ("\\n") before folding.
@given(st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=300))
def test_folding_keeps_lines_short_and_characters_whole(text: str) -> None:
    folded = fold_line("DESCRIPTION:" + text)
    pieces = folded.split("\r\n")
    assert pieces[-1] == ""
    assert all(len(piece.encode("utf-8")) <= 75 for piece in pieces)
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces[:-1])) == "DESCRIPTION:" + text


def test_escaping_commas_semicolons_backslashes_and_newlines() -> None:
    assert ics_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_csv_has_a_bom_and_chinese_labels(tmp_path: Path) -> None:
    with use_lang("zh"):
        path = write_csv(touches(), tmp_path / "plan.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["编号", "客户编号", "客户"]
    assert rows[1][rows[0].index("渠道")] == "电话"
    assert rows[1][rows[0].index("跟进日期")] == "2026-11-24"
    assert len(rows) == 4
