"""Bundled templates, the 消息模板 sheet, and choosing a template per customer."""

from __future__ import annotations

import pytest

from sheetcrm.book.base import CellValue
from sheetcrm.errors import SettingsError
from sheetcrm.messages.templates import TEMPLATE_KEYS, TemplateSet, bundled_templates
from sheetcrm.sheets.templates import TEMPLATES_SHEET, parse_templates_sheet, templates_sheet_spec

MARKETING_SMS = ("upgrade_thanks", "winback", "loyalty_offer", "holiday_greeting")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_key_ships_in_both_languages(lang: str) -> None:
    keys = {t.key for t in bundled_templates() if t.lang == lang}
    assert keys == set(TEMPLATE_KEYS)
    sms = {t.key for t in bundled_templates() if t.lang == lang and t.channel == "sms"}
    email = {t.key for t in bundled_templates() if t.lang == lang and t.channel == "email"}
    assert {"welcome", "revisit", *MARKETING_SMS} <= sms <= email
    assert all(t.subject for t in bundled_templates() if t.channel == "email")
    phone = {t.key for t in bundled_templates() if t.lang == lang and t.channel == "phone"}
    assert "onboarding_call" in phone


def test_marketing_flags_from_the_index() -> None:
    flags = {t.key: t.marketing for t in bundled_templates() if t.channel == "sms"}
    assert all(flags[key] for key in MARKETING_SMS)
    assert flags["welcome"] is False and flags["revisit"] is False


def test_top_level_templates_folder_is_the_package_data() -> None:
    from pathlib import Path

    top = Path(__file__).resolve().parents[1] / "templates"
    assert (top / "index.toml").is_file()
    assert (top / "zh" / "sms" / "welcome.txt").read_text("utf-8").strip()


def _sheet(*rows: list[CellValue]) -> list[list[CellValue]]:
    return [list(r) for r in templates_sheet_spec().rows] + [list(r) for r in rows]


def test_empty_sheet_gives_no_templates() -> None:
    assert parse_templates_sheet(_sheet(), TEMPLATES_SHEET) == []


def test_sheet_row_overrides_the_bundled_template() -> None:
    rows = _sheet(["winback", "短信", "中文", "", "", "{{ customer.salutation }}，想您了", "否"])
    sources = parse_templates_sheet(rows, TEMPLATES_SHEET)
    assert len(sources) == 1 and sources[0].channel == "sms" and sources[0].lang == "zh"
    assert sources[0].marketing is False and sources[0].origin == f"{TEMPLATES_SHEET}!A3"
    chosen = TemplateSet(sources).get("winback", "sms", "zh")
    assert chosen is not None and chosen.body.endswith("想您了")
    # It keeps the bundled template's targets when the sheet leaves "for" blank.
    assert "重要挽留" in chosen.targets


def test_sheet_template_with_targets_is_tried_first() -> None:
    rows = _sheet(["vip_tea", "sms", "zh", "A, 高价值客户", "", "请您喝茶"])
    templates = TemplateSet(parse_templates_sheet(rows, TEMPLATES_SHEET))
    chosen = templates.choose(frozenset({"a"}), "sms", "zh")
    assert chosen is not None and chosen.key == "vip_tea"
    other = templates.choose(frozenset({"d"}), "sms", "zh")
    assert other is not None and other.key == "revisit"


@pytest.mark.parametrize(
    ("row", "cell"),
    [
        (["bad key!", "sms", "zh", "", "", "x"], "A3"),
        (["k", "fax", "zh", "", "", "x"], "B3"),
        (["k", "sms", "fr", "", "", "x"], "C3"),
        (["k", "sms", "zh", "", "", ""], "F3"),
        (["k", "email", "zh", "", "", "body"], "E3"),
        (["k", "sms", "zh", "", "", "x", "maybe"], "G3"),
    ],
)
def test_sheet_errors_name_the_cell(row: list[CellValue], cell: str) -> None:
    with pytest.raises(SettingsError) as info:
        parse_templates_sheet(_sheet(row), TEMPLATES_SHEET)
    assert info.value.cell == cell and TEMPLATES_SHEET in str(info.value)


def _chosen_key(templates: TemplateSet, labels: frozenset[str], channel: str, lang: str) -> str:
    """The key of the template chosen, failing the test when none is."""
    chosen = templates.choose(labels, channel, lang)
    assert chosen is not None
    return chosen.key


def test_selection_order_and_channel_fallback() -> None:
    templates = TemplateSet()
    assert _chosen_key(templates, frozenset({"↑", "a"}), "sms", "zh") == "upgrade_thanks"
    assert _chosen_key(templates, frozenset({"流失预警"}), "email", "en") == "winback"
    assert _chosen_key(templates, frozenset({"获取期"}), "sms", "zh") == "welcome"
    assert _chosen_key(templates, frozenset(), "sms", "zh") == "revisit"
    wechat = templates.get("holiday_greeting", "wechat", "zh")
    assert wechat is not None and wechat.channel == "sms"  # WeChat uses the SMS wording
    assert templates.get("onboarding_call", "sms", "zh") is None
