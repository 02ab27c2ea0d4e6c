"""What a header means: exact aliases, headers read from how they are built, units, and the
headers that look like a role but are none."""

from __future__ import annotations

import pytest

from sheetcrm.headers import normalise_header, read_header
from sheetcrm.roles import CUSTOMER_ROLES, TRANSACTION_ROLES
from sheetcrm.table.header_row import match_roles

BUILT = {
    # telesales and B2B lists
    "客户姓名": "name",
    "首次成交日期": "first_purchase",
    "最近成交日期": "last_purchase",
    "累计消费金额": "amount",
    "所属销售": "owner",
    "成交次数": "orders",
    "合同总额（万元）": "amount",
    "Lifetime Value": "amount",
    "Do Not Email": "opt_out",
    "Do Not Call": "opt_out",
    "Unsubscribed from all email": "opt_out",
    "LTV": "amount",
    "Spend (¥)": "amount",
    # CRM exports
    "Record ID": "id",
    "Contact owner": "owner",
    "Recent Deal Close Date": "last_purchase",
    "First Deal Created Date": "first_purchase",
    "Number of Associated Deals": "orders",
    "Total Revenue": "amount",
    "Billing City": "city",
    "Mailing City": "city",
    "Customer Since": "first_purchase",
    "Email Opt Out": "opt_out",
    "Contact: Full Name": "contact",
    "累计成交金额": "amount",
    "添加人": "owner",
    "通话次数": "interactions",
    "会员卡号": "id",
}

NOT_ROLES = {
    "序号": "row number",
    "No.": "row number",
    "#": "row number",
    "Annual Revenue": "company size",
    "年营业额（万元）": "company size",
    "注册资本": "company size",
    "Employees": "company size",
    "员工人数": "company size",
    "最近跟进时间": "a follow-up date, not a purchase",
    "Last Activity Time": "a follow-up date, not a purchase",
    "Job Title": "job title",
    "Lead Score": "lead score",
}


@pytest.mark.parametrize(("header", "role"), BUILT.items())
def test_headers_read_from_how_they_are_built(header: str, role: str) -> None:
    reading = read_header(header)
    assert reading.role == role
    assert reading.sure in ("alias", "built")


@pytest.mark.parametrize(("header", "why"), NOT_ROLES.items())
def test_headers_that_look_like_a_role_but_are_none(header: str, why: str) -> None:
    reading = read_header(header)
    assert (reading.role, reading.why) == (None, why)


def test_every_alias_is_sure() -> None:
    for info in CUSTOMER_ROLES:
        for name in (info.zh, info.en, *info.aliases):
            assert read_header(name).role == info.role, name
            assert read_header(name).sure == "alias"


def test_customer_number_is_an_id_not_a_name() -> None:
    assert read_header("Customer #").role == "id"
    assert read_header("# Orders").role == "orders"


@pytest.mark.parametrize(
    ("header", "scale"),
    [
        ("合同总额（万元）", 10_000.0),
        ("销售额(万)", 10_000.0),
        ("销售额/万", 10_000.0),
        ("销售额（千元）", 1_000.0),
        ("Revenue ($K)", 1_000.0),
        ("金额（元）", 1.0),
        ("累计金额", 1.0),
    ],
)
def test_units_in_a_header_scale_its_numbers(header: str, scale: float) -> None:
    assert read_header(header).scale == scale


def test_split_name_halves() -> None:
    assert [read_header(h).part for h in ("姓", "名", "Last Name", "First Name")] == [
        "family",
        "given",
        "family",
        "given",
    ]


def test_transactions_use_their_aliases_only() -> None:
    assert read_header("订单金额", TRANSACTION_ROLES).role == "amount"
    assert read_header("累计消费金额", TRANSACTION_ROLES).role is None


def test_an_alias_wins_over_a_header_built_like_it() -> None:
    # 消费金额 is an alias; 累计消费金额 (left of it) only reads as one.
    assert match_roles(["累计消费金额", "消费金额"])["amount"] == "消费金额"


def test_normalise_header() -> None:
    assert normalise_header("  Ｅ－ｍａｉｌ ") == "email"
    assert normalise_header("累计金额（元）") == "累计金额"
