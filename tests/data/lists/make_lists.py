"""Write the customer lists of tests/data/lists and their expectations (expected.json).

Two angles: hand-written lists in the vocabularies of real teams and CRM exports (Zoho CRM,
HubSpot, Salesforce, 纷享销客, 钉钉 CRM, 企业微信, telesales and B2B lists), and a seeded
random generator mixing headers from a vocabulary table. Each header's expected role is
written by hand here (in ``LISTS`` and ``VOCABULARY``), never computed by sheetcrm. Written
with XlsxWriter (shared strings, as Excel writes them); deterministic.

Run: python tests/data/lists/make_lists.py
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

HERE = Path(__file__).parent
CREATED = dt.datetime(2026, 1, 1)


@dataclass
class Spec:
    """One list: its columns (header, expected role), layout and rows."""

    name: str
    columns: list[tuple[str, str | None]]
    customers: int = 12
    sheet: str = "客户"
    title: list[str] = field(default_factory=list)  # lines above the header
    group: dict[int, str] = field(default_factory=dict)  # two-row header: column → group above
    blank_every: int = 0
    totals: str | None = None  # label of a totals row at the end ("" : unlabelled sums)
    subtotals: str | None = None  # label of a subtotal after each section
    sections: list[str] = field(default_factory=list)  # section titles, one per block
    repeat_header_at: int = 0
    table: bool = False  # an Excel Table with a totals row
    dates: str = "date"  # date | iso | dmy | mdy | named | cn | compact
    units: bool = False  # 20次, ¥1,200 and - in cells
    why: dict[str, str] = field(default_factory=dict)  # ambiguous headers: the reason


LISTS: list[Spec] = [
    Spec(
        "telesales_cn",
        [
            ("序号", None),
            ("客户姓名", "name"),
            ("手机号", "mobile"),
            ("首次成交日期", "first_purchase"),
            ("最近成交日期", "last_purchase"),
            ("成交次数", "orders"),
            ("累计消费金额", "amount"),
            ("所属销售", "owner"),
            ("最近跟进时间", None),
        ],
        customers=40,
        totals="合计",
        why={
            "序号": "a row number, not an ID",
            "最近跟进时间": "the last follow-up, not the last purchase",
        },
    ),
    Spec(
        "b2b_wan",
        [
            ("客户编号", "id"),
            ("公司名称", "name"),
            ("联系人", "contact"),
            ("联系电话", "mobile"),
            ("所属行业", "industry"),
            ("合同总额（万元）", "amount"),
            ("签约次数", "orders"),
            ("注册资本（万元）", None),
            ("员工人数", None),
            ("负责人", "owner"),
        ],
        title=["2025 年重点客户名单", "制表：销售部"],
        why={"注册资本（万元）": "the company's own size", "员工人数": "the company's own size"},
    ),
    Spec(
        "zoho_contacts",
        [
            ("Record Id", "id"),
            ("Contact Owner", "owner"),
            ("First Name", "name"),
            ("Last Name", "name"),
            ("Email", "email"),
            ("Mobile", "mobile"),
            ("Mailing City", "city"),
            ("Email Opt Out", "opt_out"),
            ("Last Activity Time", None),
            ("Description", "notes"),
        ],
        sheet="Contacts",
        dates="iso",
        why={
            "First Name": "half of a split name, read with Last Name as the customer's name",
            "Last Activity Time": "an activity, not a purchase",
        },
    ),
    Spec(
        "hubspot_contacts",
        [
            ("Record ID", "id"),
            ("First Name", "name"),
            ("Last Name", "name"),
            ("Email", "email"),
            ("Phone Number", "mobile"),
            ("Contact owner", "owner"),
            ("City", "city"),
            ("Recent Deal Close Date", "last_purchase"),
            ("First Deal Created Date", "first_purchase"),
            ("Number of Associated Deals", "orders"),
            ("Total Revenue", "amount"),
            ("Unsubscribed from all email", "opt_out"),
            ("Lead Status", None),
        ],
        sheet="Sheet1",
        dates="iso",
    ),
    Spec(
        "salesforce_accounts",
        [
            ("Account ID", "id"),
            ("Account Name", "name"),
            ("Account Owner", "owner"),
            ("Billing City", "city"),
            ("Industry", "industry"),
            ("Annual Revenue", None),
            ("Employees", None),
            ("Phone", "mobile"),
            ("Lifetime Value", "amount"),
            ("Customer Since", "first_purchase"),
            ("Last Order Date", "last_purchase"),
        ],
        sheet="report",
        dates="mdy",
        why={"Annual Revenue": "the account's own revenue, not its spend with us"},
    ),
    Spec(
        "salesforce_contacts",
        [
            ("Contact ID", "id"),
            ("Account Name", "name"),
            ("Contact: Full Name", "contact"),
            ("Title", "title"),
            ("Email", "email"),
            ("Do Not Call", "opt_out"),
            ("Mobile", "mobile"),
            ("Mailing City", "city"),
        ],
        sheet="report",
        why={
            "Title": "Salesforce's Title is a job title; sheetcrm's title role is the form of "
            "address, and staff correct it in [columns] (kept as the alias it always was)"
        },
    ),
    Spec(
        "fxiaoke_customers",
        [
            ("客户编号", "id"),
            ("客户名称", "name"),
            ("负责人", "owner"),
            ("所属部门", None),
            ("客户级别", None),
            ("成交状态", None),
            ("最后跟进时间", None),
            ("累计成交金额", "amount"),
            ("电话", "mobile"),
            ("行业", "industry"),
            ("备注", "notes"),
        ],
        sheet="客户",
    ),
    Spec(
        "dingtalk_crm",
        [
            ("客户名称", "name"),
            ("负责人", "owner"),
            ("客户状态", None),
            ("联系人", "contact"),
            ("手机号", "mobile"),
            ("最后跟进时间", None),
            ("成交金额", "amount"),
            ("创建时间", None),
        ],
        sheet="客户列表",
        why={"客户名称": "no ID column: customers are keyed by name + mobile"},
    ),
    Spec(
        "wecom_customers",
        [
            ("客户名称", "name"),
            ("备注名", "contact"),
            ("性别", "title"),
            ("添加人", "owner"),
            ("添加时间", None),
            ("手机号", "mobile"),
            ("标签", None),
            ("描述", "notes"),
        ],
        sheet="客户列表",
        why={"添加人": "the member who added the customer is the one who looks after them"},
    ),
    Spec(
        "english_b2b",
        [
            ("Customer #", "id"),
            ("Company", "name"),
            ("Contact Person", "contact"),
            ("Sales Rep", "owner"),
            ("# Orders", "orders"),
            ("Lifetime Value", "amount"),
            ("Do Not Email", "opt_out"),
            ("Notes", "notes"),
        ],
        sheet="Customers",
        totals="Grand Total",
        units=True,
    ),
    Spec(
        "split_names_cn",
        [
            ("编号", "id"),
            ("姓", "name"),
            ("名", "name"),
            ("手机", "mobile"),
            ("消费次数", "orders"),
            ("消费金额（元）", "amount"),
        ],
        units=True,
    ),
    Spec(
        "no_id_people",
        [
            ("姓名", "name"),
            ("手机", "mobile"),
            ("邮箱", "email"),
            ("上次购买日期", "last_purchase"),
            ("购买次数", "orders"),
        ],
        dates="cn",
        why={"姓名": "a list of people: the person's name is the customer's name"},
    ),
    Spec(
        "merged_header",
        [
            ("序号", None),
            ("客户名称", "name"),
            ("手机", "mobile"),
            ("次数", "orders"),
            ("金额", "amount"),
            ("最近日期", None),
        ],
        group={3: "成交情况", 4: "成交情况", 5: "成交情况"},
        title=["客户成交统计"],
        why={"最近日期": "'last date' of what is not said under the merged group cell"},
    ),
    Spec(
        "sections_subtotals",
        [
            ("客户编号", "id"),
            ("客户名称", "name"),
            ("负责人", "owner"),
            ("成交次数", "orders"),
            ("成交金额", "amount"),
        ],
        customers=18,
        sections=["华东区", "华南区", "华北区"],
        subtotals="小计",
        totals="总计",
    ),
    Spec(
        "repeated_header",
        [
            ("客户编号", "id"),
            ("客户名称", "name"),
            ("手机", "mobile"),
            ("累计金额", "amount"),
        ],
        customers=30,
        repeat_header_at=15,
        blank_every=7,
    ),
    Spec(
        "excel_table_totals",
        [
            ("Customer ID", "id"),
            ("Customer", "name"),
            ("Email", "email"),
            ("Orders", "orders"),
            ("Revenue", "amount"),
        ],
        sheet="Customers",
        table=True,
    ),
    Spec(
        "dates_day_first",
        [
            ("Customer No", "id"),
            ("Name", "name"),
            ("First Purchase", "first_purchase"),
            ("Last Purchase", "last_purchase"),
            ("Spend (¥)", "amount"),
        ],
        sheet="Customers",
        dates="dmy",
    ),
    Spec(
        "dates_named_month",
        [
            ("Customer Number", "id"),
            ("Account Name", "name"),
            ("Latest Order Date", "last_purchase"),
            ("First Order Date", "first_purchase"),
            ("Deal Value", "amount"),
        ],
        sheet="Accounts",
        dates="named",
    ),
    Spec(
        "units_in_cells",
        [
            ("客户编号", "id"),
            ("客户名称", "name"),
            ("购买次数", "orders"),
            ("消费金额", "amount"),
            ("是否退订", "opt_out"),
        ],
        units=True,
        totals="合计：",
    ),
    Spec(
        "unlabelled_totals",
        [
            ("客户编号", "id"),
            ("客户名称", "name"),
            ("下单次数", "orders"),
            ("销售额", "amount"),
        ],
        totals="",
    ),
    Spec(
        "compact_dates_cn",
        [
            ("会员卡号", "id"),
            ("会员姓名", "name"),
            ("首次消费日期", "first_purchase"),
            ("最后消费日期", "last_purchase"),
            ("消费总额", "amount"),
            ("勿扰", "opt_out"),
        ],
        dates="compact",
    ),
    Spec(
        "interactions_satisfaction",
        [
            ("客户ID", "id"),
            ("客户名称", "name"),
            ("通话次数", "interactions"),
            ("满意度评分", "satisfaction"),
            ("城市", "city"),
            ("业务员", "owner"),
        ],
    ),
    Spec(
        "english_people",
        [
            ("First Name", "name"),
            ("Last Name", "name"),
            ("E-mail", "email"),
            ("Cell", "mobile"),
            ("Last Purchase Date", "last_purchase"),
            ("Frequency", "orders"),
            ("LTV", "amount"),
            ("Opt Out", "opt_out"),
        ],
        sheet="People",
        dates="iso",
        title=["Customer list — exported 2026-01-05"],
    ),
    Spec(
        "b2b_thousands",
        [
            ("客户代码", "id"),
            ("企业名称", "name"),
            ("年营业额（万元）", None),
            ("销售额（千元）", "amount"),
            ("合同份数", None),
            ("客户经理", "owner"),
            ("所在城市", "city"),
        ],
        why={"合同份数": "'number of contract copies' is not a count of orders"},
    ),
]

# The random angle: per role, headers people write for it (a None role: not a role).
VOCABULARY: dict[str | None, list[str]] = {
    "id": ["客户编号", "客户ID", "Customer ID", "Customer #", "客户代码", "Account Number"],
    "name": ["客户名称", "公司名称", "Company Name", "Account Name", "客户全称", "单位名称"],
    "contact": ["联系人", "Contact Name", "联系人姓名", "Contact Person"],
    "mobile": ["手机", "手机号码", "Mobile Phone", "联系电话", "Phone"],
    "email": ["邮箱", "Email Address", "电子邮件", "E-mail"],
    "city": ["城市", "City", "所在城市", "Billing City"],
    "owner": ["负责人", "所属销售", "Sales Rep", "Account Owner", "业务员", "归属销售"],
    "first_purchase": ["首次购买日期", "First Purchase Date", "首次成交日期", "首单日期"],
    "last_purchase": ["最近购买日期", "Last Order Date", "最近成交日期", "上次购买时间"],
    "orders": ["购买次数", "# Orders", "成交次数", "订单数", "Number of Orders"],
    "amount": ["累计金额", "累计消费金额", "Total Spent", "Lifetime Value", "合同额", "Revenue"],
    "opt_out": ["退订", "Do Not Email", "Email Opt Out", "免打扰"],
    None: ["序号", "No.", "Annual Revenue", "注册资本", "Employees", "客户来源", "Lead Source"],
}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "明", "超"]
_FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Frank", "Grace", "Henry", "Iris", "Jack"]
_LAST = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts"]
_CITIES = ["上海", "北京", "深圳", "杭州", "成都", "Shanghai", "London"]
_OWNERS = ["张伟", "李娜", "王强", "Amy", "Tom"]


def _date_cell(day: dt.date, style: str) -> Any:
    """A date as the list writes it."""
    if style == "date":
        return dt.datetime(day.year, day.month, day.day)
    if style == "iso":
        return day.isoformat()
    if style == "dmy":
        return f"{day.day}/{day.month}/{day.year % 100:02d}"
    if style == "mdy":
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    if style == "named":
        return day.strftime("%d %b %Y")
    if style == "cn":
        return f"{day.year}年{day.month}月{day.day}日"
    return day.strftime("%Y%m%d")


def _value(header: str, role: str | None, i: int, rng: random.Random, spec: Spec) -> Any:
    """A plausible cell for row i under a header."""
    english = header.isascii()
    first = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(700))
    if i == 0 and spec.dates in ("dmy", "mdy"):
        first = dt.date(2023, 1, 25)  # a day past 12 tells day-first from month-first
    last = first + dt.timedelta(days=rng.randrange(300))
    if role == "id":
        return f"C{1000 + i}"
    if role == "name" and header in ("First Name", "名"):
        return rng.choice(_FIRST) if english else rng.choice(_GIVEN)
    if role == "name" and header in ("Last Name", "姓"):
        return rng.choice(_LAST) + f"{i}" if english else rng.choice(_SURNAMES) + f"{i}"
    if role in ("name", "contact"):
        people = header in ("客户姓名", "姓名", "会员姓名", "Contact Person", "备注名")
        if english:
            base = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
            return base if role == "contact" or people else f"Acme {i} Ltd"
        base = rng.choice(_SURNAMES) + rng.choice(_GIVEN)
        return f"{base}{i}" if people or role == "contact" else f"星辰{i}号贸易有限公司"
    if role == "mobile":
        return f"13{rng.randrange(10**9):09d}"
    if role == "email":
        return f"user{i}@example.com"
    if role == "city":
        return rng.choice(_CITIES)
    if role == "industry":
        return rng.choice(["制造", "零售", "Software", "教育"])
    if role == "owner":
        return rng.choice(_OWNERS)
    if role == "title":
        return rng.choice(["先生", "女士"]) if not english else rng.choice(["Mr", "Ms"])
    if role == "first_purchase":
        return _date_cell(first, spec.dates)
    if role == "last_purchase":
        return _date_cell(last, spec.dates)
    if role in ("orders", "interactions"):
        count = rng.randrange(1, 30)
        return f"{count}次" if spec.units and role == "orders" and i % 3 == 0 else count
    if role == "amount":
        amount = round(rng.uniform(100, 50_000), 2)
        if spec.units and i % 4 == 0:
            return f"¥{amount:,.2f}"
        if spec.units and i % 4 == 1:
            return "-"
        return amount
    if role == "satisfaction":
        return rng.randrange(1, 6)
    if role == "opt_out":
        return rng.choice(["是", "否", "否"]) if not english else rng.choice(["Y", "N", "N"])
    if role == "notes":
        return rng.choice(["", "老客户", "VIP", "prefers e-mail"])
    if "日期" in header or "时间" in header or "Date" in header or "Time" in header:
        return _date_cell(last, "iso")
    if header in ("序号", "No.", "#"):
        return i + 1
    if header in (
        "注册资本（万元）",
        "年营业额（万元）",
        "Annual Revenue",
        "Employees",
        "员工人数",
    ):
        return rng.randrange(10, 5000)
    if header in ("次数", "金额"):
        return rng.randrange(1, 20) if header == "次数" else round(rng.uniform(100, 9000), 2)
    return rng.choice(["A", "B", "C", "线索", "Referral"])


def _number(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.replace("¥", "").replace(",", "").replace("次", "")
        try:
            return float(text)
        except ValueError:
            return 0.0
    return 0.0


def write_list(spec: Spec, folder: Path) -> dict[str, Any]:
    """Write one list; return its expectation."""
    rng = random.Random(spec.name)
    headers = [header for header, _ in spec.columns]
    book = xlsxwriter.Workbook(str(folder / f"{spec.name}.xlsx"))
    book.set_properties({"created": CREATED})
    sheet = book.add_worksheet(spec.sheet)
    merge = book.add_format({"align": "center", "bold": True})
    row = 0
    for line in spec.title:
        sheet.write(row, 0, line)
        row += 1
    if spec.title:
        row += 1  # a blank line under the title block
    if spec.group:
        top = row
        groups: dict[str, list[int]] = {}
        for column, name in spec.group.items():
            groups.setdefault(name, []).append(column)
        for name, cols in groups.items():
            sheet.merge_range(top, min(cols), top, max(cols), name, merge)
        for column, header in enumerate(headers):
            if column in spec.group:
                sheet.write(top + 1, column, header)
            else:
                sheet.merge_range(top, column, top + 1, column, header, merge)
        row = top + 1
    else:
        sheet.write_row(row, 0, headers)
    header_row = row + 1  # Excel row number
    row += 1
    data_start = row
    per_section = spec.customers // max(1, len(spec.sections)) if spec.sections else 0
    number_columns = [c for c, (_, role) in enumerate(spec.columns) if role in ("orders", "amount")]
    section_sums = [0.0] * len(spec.columns)
    all_sums = [0.0] * len(spec.columns)
    label_column = next(c for c, (_, role) in enumerate(spec.columns) if role in ("id", "name"))
    for i in range(spec.customers):
        if spec.sections and i % per_section == 0 and i // per_section < len(spec.sections):
            sheet.write(row, 0, spec.sections[i // per_section])
            row += 1
        if spec.repeat_header_at and i == spec.repeat_header_at:
            sheet.write_row(row, 0, headers)
            row += 1
        if spec.blank_every and i and i % spec.blank_every == 0:
            row += 1
        values = [_value(h, role, i, rng, spec) for h, role in spec.columns]
        for column, value in enumerate(values):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(
                    row, column, value, book.add_format({"num_format": "yyyy-mm-dd"})
                )
            elif value is not None and value != "":
                sheet.write(row, column, value)
        for column in number_columns:
            section_sums[column] += _number(values[column])
            all_sums[column] += _number(values[column])
        row += 1
        end_of_section = spec.sections and (i + 1) % per_section == 0
        if spec.subtotals and end_of_section:
            sheet.write(row, label_column, spec.subtotals)
            for column in number_columns:
                sheet.write_formula(row, column, "=SUBTOTAL(9,A1:A2)", None, section_sums[column])
            section_sums = [0.0] * len(spec.columns)
            row += 1
    if spec.totals is not None:
        if spec.totals:
            sheet.write(row, label_column, spec.totals)
        for column in number_columns:
            sheet.write_formula(row, column, "=SUM(A1:A2)", None, round(all_sums[column], 2))
        row += 1
    if spec.table:
        total_row = [{"total_string": "Total"}] + [{} for _ in headers[1:]]
        for column in number_columns:
            total_row[column] = {"total_function": "sum"}
        sheet.add_table(
            header_row - 1,
            0,
            row,
            len(headers) - 1,
            {
                "name": "Customers",
                "total_row": True,
                "columns": [{"header": h, **t} for h, t in zip(headers, total_row, strict=True)],
            },
        )
    book.close()
    del data_start
    return {
        "file": f"{spec.name}.xlsx",
        "sheet": spec.sheet,
        "header_row": header_row,
        "customers": spec.customers,
        "columns": [{"header": h, "role": role} for h, role in spec.columns],
        "why": spec.why,
    }


def random_specs(count: int, seed: int = 17) -> list[Spec]:
    """Lists of headers drawn from VOCABULARY, with random layouts."""
    rng = random.Random(seed)
    specs = []
    roles = [role for role in VOCABULARY if role not in (None, "id", "name")]
    for n in range(count):
        chosen = rng.sample(roles, rng.randrange(3, len(roles)))
        columns: list[tuple[str, str | None]] = []
        if rng.random() < 0.7:
            columns.append((rng.choice(VOCABULARY["id"]), "id"))
        columns.append((rng.choice(VOCABULARY["name"]), "name"))
        columns += [(rng.choice(VOCABULARY[role]), role) for role in chosen]
        if rng.random() < 0.5:
            columns.insert(rng.randrange(len(columns) + 1), (rng.choice(VOCABULARY[None]), None))
        first: dict[str, tuple[str, str | None]] = {}
        for column in columns:
            first.setdefault(column[0], column)  # a header written twice keeps its first role
        columns = list(first.values())
        rng.shuffle(columns)
        specs.append(
            Spec(
                f"random_{n:02d}",
                columns,
                customers=rng.randrange(5, 40),
                title=["客户名单"] if rng.random() < 0.3 else [],
                blank_every=rng.choice([0, 0, 6]),
                totals=rng.choice([None, None, "合计", "Total", ""]),
                dates=rng.choice(["date", "iso", "cn", "compact"]),
            )
        )
    return specs


def main() -> None:
    """Write every list and expected.json."""
    expected = [write_list(spec, HERE) for spec in [*LISTS, *random_specs(10)]]
    (HERE / "expected.json").write_text(
        json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
