"""The 消息 sheet laid out from a result, and the customer sheet's headers as template fields."""

from __future__ import annotations

import pandas as pd

from _messages_data import AS_OF, customers, tiers
from sheetcrm.book.base import CustomerTable
from sheetcrm.i18n import use_lang
from sheetcrm.messages import MessageSettings, MessagesResult, compose_messages
from sheetcrm.messages.templates import TemplateSource
from sheetcrm.sheets.messages import (
    MESSAGES_SHEET,
    messages_sheet,
    sheet_channels,
    template_fields,
)


def _result() -> MessagesResult:
    return compose_messages(customers(), tiers(), MessageSettings(), as_of=AS_OF)


def test_messages_sheet_has_bilingual_headers_and_one_row_per_message() -> None:
    result = _result()
    with use_lang("zh"):
        spec = messages_sheet(result)
    assert spec.name == MESSAGES_SHEET == "消息"
    assert spec.rows[0][:6] == ["客户编号", "客户", "渠道", "收件人", "主题", "正文"]
    assert len(spec.rows) == 1 + len(result.messages) + len(result.skipped)
    assert spec.rows[1][2] == "短信" and isinstance(spec.rows[1][7], int)
    with use_lang("en"):
        assert messages_sheet(result).rows[0][1] == "Customer"
        assert messages_sheet(result, "zh").rows[0][1] == "客户"


def test_headers_are_template_fields_and_name_missing_fields() -> None:
    frame = customers()
    raw = pd.DataFrame({"会员等级": ["金卡", None, "银卡", None]}, index=frame.index)
    table = CustomerTable(
        sheet="客户",
        table=None,
        header_row=1,
        first_column=1,
        headers=["累计金额", "城市", "会员等级"],
        roles={"amount": "累计金额", "city": "城市"},
        frame=frame,
        raw=raw,
    )
    body = "{{ customer['累计金额'] | money }}|{{ customer['会员等级'] }}|{{ customer.city }}"
    source = TemplateSource(key="t", channel="sms", lang="zh", body=body, marketing=False)
    plan = pd.DataFrame(
        {"customer_id": ["C001"], "channel": ["sms"], "template": ["t"], "status": ["待跟进"]}
    )
    result = compose_messages(
        frame,
        tiers(),
        MessageSettings(templates=(source,)),
        plan=plan,
        extra=template_fields(table),
        as_of=AS_OF,
        channels=("sms",),
    )
    assert result.messages.empty  # a field printed blank: not a text to send (issue 18)
    row = result.skipped.iloc[0]
    assert row["body"] == "【示例科技】¥12,345.50|金卡|"
    assert row["missing_fields"] == "城市" and row["template"] == "t"
    assert row["reason"].zh == "缺少字段：城市" and row["reason"].en == "missing fields: 城市"
    sheet = messages_sheet(result, lang="zh")
    header, line = sheet.rows[0], sheet.rows[1]
    assert line[header.index("提示")] == "不发送：缺少字段：城市"
    assert line[header.index("缺失字段")] == "城市" and line[header.index("模板")] == "t"


def test_a_501_character_sms_stays_in_the_sheet_with_its_reason() -> None:
    body = "字" * 501
    source = TemplateSource(key="welcome", channel="sms", lang="zh", body=body, origin="A1")
    frame = customers().assign(opt_out=[False, False, False, True])
    with use_lang("zh"):
        result = compose_messages(
            frame, tiers(), MessageSettings(templates=(source,)), as_of=AS_OF, channels=("sms",)
        )
    assert not result.messages["body"].str.len().gt(500).any()
    with use_lang("zh"):
        rows = messages_sheet(result).rows
    long = [r for r in rows[1:] if isinstance(r[5], str) and len(r[5]) > 500]
    assert len(long) == 1 and long[0][9] == "不发送：短信超过 500 字" and long[0][3]
    assert [r for r in rows[1:] if r[9] == "不发送：已退订 / 勿扰"]
    # Read back (as the dashboard does), rows not sent are no messages.
    shown = sheet_channels(rows)
    assert shown is not None and len(shown) == len(result.messages)
