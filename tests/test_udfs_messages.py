"""Worksheet functions for messages compute what the batch job computes for that row."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetcrm.excel.udfs_messages import (
    CRM_RENDER,
    CRM_SALUTATION,
    CRM_SMS_LENGTH,
    CRM_SMS_PARTS,
)
from sheetcrm.messages import MessageSettings, compose_messages

HEADER = [
    ["客户编号", "客户名称", "联系人", "性别", "手机", "累计金额", "负责人", "最近购买日期", "退订"]
]
ROW = [
    [
        "C001",
        "杭州示例科技有限公司",
        "欧阳娜娜",
        "女",
        "138 1234 5678",
        "¥12,345.5",
        "王芳",
        46086.0,
        "否",
    ]
]


def test_render_matches_the_batch_for_that_row() -> None:
    frame = pd.DataFrame(
        {
            "id": ["C001"],
            "name": ["杭州示例科技有限公司"],
            "contact": ["欧阳娜娜"],
            "title": ["女"],
            "mobile": ["138 1234 5678"],
            "amount": [12345.5],
            "owner": ["王芳"],
            "last_purchase": [dt.date(2026, 3, 5)],
            "opt_out": [False],
        },
        index=[2],
    )
    plan = pd.DataFrame(
        {"customer_id": ["C001"], "channel": ["sms"], "template": ["winback"], "status": ["待跟进"]}
    )
    batch = compose_messages(
        frame, None, MessageSettings(), plan=plan, as_of=dt.date.today(), channels=("sms",)
    )
    assert CRM_RENDER("winback", "sms", HEADER, ROW) == batch.messages.iloc[0]["body"]


def test_render_email_has_subject_then_body_and_uses_header_text_fields() -> None:
    text = CRM_RENDER("upgrade_thanks", "email", [HEADER[0] + ["邮箱"]], ROW)
    assert text.startswith("#VALUE!")  # header and row must be the same width
    header = [HEADER[0] + ["邮箱"]]
    row = [ROW[0] + ["ouyang@example.cn"]]
    text = CRM_RENDER("upgrade_thanks", "email", header, row, "zh")
    subject, _, body = text.partition("\n\n")
    assert subject.startswith("感谢信赖") and "¥12,345.50" in body


def test_render_reports_opt_out_and_unknown_template() -> None:
    opted = [[*ROW[0][:-1], "是"]]
    assert CRM_RENDER("winback", "sms", HEADER, opted).startswith("#N/A")
    assert CRM_RENDER("no_such", "sms", HEADER, ROW).startswith("#N/A")
    assert CRM_RENDER("winback", "fax", HEADER, ROW).startswith("#VALUE!")


def test_sms_length_and_parts() -> None:
    assert CRM_SMS_LENGTH("【示例科技】" + "字" * 64) == 70
    assert CRM_SMS_PARTS("【示例科技】" + "字" * 64) == 1
    assert CRM_SMS_PARTS("【示例科技】" + "字" * 65) == 2
    assert CRM_SMS_PARTS("a" * 160, True) == 1
    assert CRM_SMS_PARTS("a" * 161, "是") == 2
    assert CRM_SMS_LENGTH(None) == 0


def test_salutation() -> None:
    assert CRM_SALUTATION("欧阳娜娜", "总经理") == "欧阳总"
    assert CRM_SALUTATION("张伟", None) == "张伟"
    assert CRM_SALUTATION("John Smith", "Mr", "en") == "Mr. Smith"
    assert CRM_SALUTATION(None, None) == "尊敬的客户"


def test_headers_map_to_roles_as_the_sheet_reader_matches_them() -> None:
    # Variants the customer sheet's reader accepts (brackets, "a / b") name the same roles.
    header = [["客户编号", "客户名称（全称）", "手机号码/电话", "鞋码"]]
    row = [["C001", "杭州示例科技有限公司", "138 1234 5678", "42"]]
    text = CRM_RENDER("welcome", "sms", header, row)
    assert "杭州示例科技有限公司" in text and not text.startswith("#")
