"""The plan's settings blocks: cadences, reps and holidays, each bad cell named."""

from __future__ import annotations

import datetime as dt

import pytest

from sheetcrm.book.base import CellValue
from sheetcrm.errors import SettingsError
from sheetcrm.i18n import use_lang
from sheetcrm.schedule.capacity import DEFAULT_CAPACITY, Rep
from sheetcrm.schedule.plan_settings import parse_plan_settings
from sheetcrm.settings import Settings

GOOD_STEP: list[CellValue] = ["A", 1, 0, 7, "电话", "回访", "revisit", 1]


def settings_grid(block: str, *rows: list[CellValue]) -> Settings:
    return Settings([[f"[{block}]"], ["header"], *rows])


def cadence(**changes: CellValue) -> list[CellValue]:
    """A cadence row (data row 3 of its block) with some cells changed."""
    keys = ["applies_to", "step", "offset", "repeat", "channel", "purpose", "template", "priority"]
    return [changes.get(key, value) for key, value in zip(keys, GOOD_STEP, strict=True)]


def test_settings_errors_name_the_cell_and_allowed_values() -> None:
    with pytest.raises(SettingsError, match=r"E3.*传真.*电话"):
        parse_plan_settings(settings_grid("cadences", ["A", 1, 0, 7, "传真", "x", "revisit", 1]))
    with pytest.raises(SettingsError, match=r"D3"):
        parse_plan_settings(settings_grid("cadences", ["A", 1, 0, 0, "电话", "x", "revisit", 1]))
    with pytest.raises(SettingsError, match=r"B3"):
        parse_plan_settings(settings_grid("reps", ["王", "很多", ""]))
    with pytest.raises(SettingsError, match=r"B3.*上班"):
        parse_plan_settings(settings_grid("holidays", ["2026-12-31", "放假?", ""]))


@pytest.mark.parametrize(
    ("changes", "cell", "words"),
    [
        ({"applies_to": " "}, "A3", "applies to is empty"),
        ({"step": " "}, "B3", "the step needs a name"),
        ({"offset": -1}, "C3", "Offset days must be a whole number (at least 0)"),
        ({"offset": 1.5}, "C3", "Offset days must be a whole number"),
        (
            {"repeat": "often"},
            "D3",
            "Repeat every (working days) must be a whole number (at least 1)",
        ),
        ({"channel": "fax"}, "E3", "unknown channel 'fax'"),
        ({"template": ""}, "G3", "the template key is empty"),
        ({"priority": 0}, "H3", "Priority must be a whole number (at least 1)"),
    ],
)
def test_each_cadence_column_names_its_own_cell(
    changes: dict[str, CellValue], cell: str, words: str
) -> None:
    with use_lang("en"), pytest.raises(SettingsError, match=cell) as caught:
        parse_plan_settings(settings_grid("cadences", cadence(**changes)))
    assert words in str(caught.value)


def test_the_first_bad_cell_of_a_cadence_row_is_the_one_named() -> None:
    with pytest.raises(SettingsError, match="C3"):
        parse_plan_settings(settings_grid("cadences", cadence(offset=-1, template="")))


def test_cadence_defaults_and_step_names() -> None:
    row = cadence(step=2.0, offset=None, repeat=None, purpose=None, priority=None)
    (step,) = parse_plan_settings(settings_grid("cadences", row)).steps
    assert (step.step, step.offset, step.repeat, step.priority) == ("2", 0, None, 3)
    assert step.purpose == step.template == "revisit"
    assert step.key == "A#2" and step.channel == "phone"


def test_a_step_given_twice_is_the_second_rows_error() -> None:
    with use_lang("en"), pytest.raises(SettingsError, match=r"B4.*appears twice"):
        parse_plan_settings(settings_grid("cadences", cadence(), cadence(purpose="again")))


def test_settings_reps_and_holidays_are_read() -> None:
    grid: list[list[CellValue]] = [
        ["[reps]"],
        ["h"],
        ["王", 20, "电话、微信"],
        [],
        ["[holidays]"],
        ["h"],
        ["2026-11-24", "休息", "年会"],
        [46348, "上班", ""],
    ]
    parsed = parse_plan_settings(Settings(grid))
    assert parsed.reps == (Rep("王", 20, frozenset({"phone", "wechat"})),)
    assert parsed.calendar.extra_off == {dt.date(2026, 11, 24)}
    assert parsed.calendar.extra_work == {dt.date(2026, 11, 22)}


def test_a_rep_without_capacity_or_channels_gets_the_default_and_every_channel() -> None:
    (rep,) = parse_plan_settings(settings_grid("reps", ["李", None, None])).reps
    assert rep == Rep("李", DEFAULT_CAPACITY, frozenset())


@pytest.mark.parametrize(
    ("block", "rows", "cell"),
    [
        ("reps", [["", 5, ""], ["王", 5, ""]], "A3"),
        ("reps", [["王", 5, ""], ["王", 6, ""]], "A4"),
        ("reps", [["王", 5, "电话，传真"]], "C3"),
        ("holidays", [["not a day", "休息", ""]], "A3"),
        ("holidays", [[None, "上班", ""]], "A3"),
    ],
)
def test_rep_and_holiday_errors_name_the_cell(
    block: str, rows: list[list[CellValue]], cell: str
) -> None:
    with pytest.raises(SettingsError, match=cell):
        parse_plan_settings(settings_grid(block, *rows))
