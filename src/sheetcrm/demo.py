"""The demo workbook: a realistic, deterministic customer list with transactions and planted mess.

``write_demo`` writes what a sales team's workbook looks like after a year and a
half of use — Chinese company and person names, reps, a heavy tail of big
customers, churned and new ones — plus the typical mess the data check must
find (duplicates, landlines, text amounts and dates, blank rows, #N/A, a bad
email). ``write_big_customers`` writes large clean-ish tables for benchmarks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xlsxwriter

from .book.base import CellValue
from .values import excel_serial

__all__ = [
    "CUSTOMER_HEADERS",
    "CUSTOMER_SHEET",
    "DEMO_AS_OF",
    "DemoData",
    "TABLE_NAME",
    "TRANSACTION_HEADERS",
    "TRANSACTION_SHEET",
    "build_demo",
    "write_big_customers",
    "write_demo",
]

CUSTOMER_SHEET = "客户名单"
TRANSACTION_SHEET = "交易记录"
README_SHEET = "说明"
TABLE_NAME = "客户表"
DEMO_AS_OF = dt.date(2026, 11, 20)  # fixed so the file does not depend on the day it is written
CUSTOMER_HEADERS = (
    "客户编号",
    "客户名称",
    "联系人",
    "性别/称谓",
    "手机",
    "邮箱",
    "城市",
    "行业",
    "负责人",
    "首次购买日期",
    "最近购买日期",
    "购买次数",
    "累计金额",
    "互动次数",
    "满意度",
    "退订",
    "备注",
)
TRANSACTION_HEADERS = ("客户编号", "日期", "金额", "产品")

_CITIES = (
    "北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "重庆", "武汉",
    "西安", "天津", "长沙", "郑州", "青岛", "宁波", "厦门", "合肥", "济南", "福州",
)  # fmt: skip
_BRANDS = (
    "西湖", "华信", "恒通", "瑞丰", "金鼎", "宏达", "鑫源", "天成", "锦程", "博远",
    "正泰", "新宇", "联创", "盛世", "汇丰", "永安", "嘉禾", "中和", "明德", "东方",
    "长江", "凯越", "安泰", "百川", "同舟", "德润", "海纳", "启航", "云帆", "卓越",
    "铭扬", "立信", "广源", "华美", "润泽", "绿源", "晨光", "远景", "信达", "福瑞",
)  # fmt: skip
_INDUSTRIES = (
    ("茶业", "食品饮料"), ("科技", "软件与信息服务"), ("贸易", "批发零售"), ("机械", "装备制造"),
    ("电子", "电子元器件"), ("服饰", "纺织服装"), ("医疗器械", "医疗健康"), ("建材", "建筑建材"),
    ("物流", "交通物流"), ("餐饮管理", "餐饮"), ("文化传媒", "文化传媒"), ("化工", "化工"),
    ("家居", "家居用品"), ("教育咨询", "教育培训"), ("汽车配件", "汽车"), ("农业", "农林牧渔"),
)  # fmt: skip
_SURNAMES = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡",
    "郭", "何", "林", "高", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
    "欧阳", "司马", "诸葛", "上官",
)  # fmt: skip
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌浩宇晨欣怡子轩梓涵"
_REPS = ("张丽", "王强", "李娜", "陈明", "刘洋", "赵敏")
_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "158", "159", "177", "180", "185", "186", "187", "188", "189", "199",
)  # fmt: skip
_MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "foxmail.com")
_PRODUCTS = ("标准版套餐", "专业版套餐", "年度服务", "耗材补充包", "定制方案", "培训服务")
_NOTES = ("老客户介绍", "展会获取", "官网咨询", "需要发票", "偏好微信联系", "年底集中采购")
_LANDLINE_AREAS = ("0571", "010", "021", "020", "0755", "025")
_WINDOW_DAYS = 548  # about 18 months of transactions before the as-of date


@dataclass
class DemoData:
    """The demo's content: customer rows (None = blank row), transactions, and where the mess is."""

    as_of: dt.date
    customers: list[list[CellValue] | None]
    transactions: list[tuple[str, dt.date, float, str]]
    mess: dict[str, list[int]] = field(default_factory=dict)  # kind → Excel row numbers


@dataclass
class _Customer:
    values: dict[str, CellValue]
    orders: list[tuple[dt.date, float, str]]
    mess: list[str] = field(default_factory=list)


def _person(rng: random.Random) -> tuple[str, str]:
    surname = rng.choice(_SURNAMES)
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
    return surname, surname + given


def _purchase_dates(rng: random.Random, as_of: dt.date) -> list[dt.date]:
    """Order dates for one customer: once-only, repeat, churned, new, or none (prospect)."""
    start = as_of - dt.timedelta(days=_WINDOW_DAYS)
    roll = rng.random()
    if roll < 0.04:
        return []  # a prospect: no purchase yet
    if roll < 0.09:  # new: first purchase within the last 30 days
        first = as_of - dt.timedelta(days=rng.randint(0, 29))
        return sorted(
            [first]
            + [
                first + dt.timedelta(days=rng.randint(0, (as_of - first).days))
                for _ in range(rng.choice((0, 0, 1)))
            ]
        )
    if roll < 0.54:  # bought once
        return [start + dt.timedelta(days=rng.randint(0, _WINDOW_DAYS - 31))]
    churned = roll < 0.70
    latest = _WINDOW_DAYS - (280 if churned else 0)  # churned: nothing in the last 9+ months
    count = min(2 + int(rng.paretovariate(1.3)), 40)
    first = rng.randint(0, latest - 30)
    return sorted(start + dt.timedelta(days=rng.randint(first, latest)) for _ in range(count))


def _customer(rng: random.Random, number: int, as_of: dt.date, taken: set[str]) -> _Customer:
    while True:
        city = rng.choice(_CITIES)
        word, industry = rng.choice(_INDUSTRIES)
        name = f"{city}{rng.choice(_BRANDS)}{word}有限公司"
        if name not in taken:
            taken.add(name)
            break
    surname, contact = _person(rng)
    title = rng.choices((f"{surname}总", "先生", "女士", None), (15, 30, 30, 25))[0]
    mobile = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    email = (
        f"{rng.choice('abcdefghjklmnpqrstwxyz')}{rng.choice('aeiou')}{rng.randrange(10**5)}@{rng.choice(_MAIL_DOMAINS)}"
        if rng.random() < 0.7
        else None
    )
    # A heavy tail: most order values are modest, a few customers buy big.
    scale = rng.lognormvariate(7.0, 0.9) * (8 if rng.random() < 0.05 else 1)
    orders = [
        (day, round(scale * rng.uniform(0.5, 1.5), 2), rng.choice(_PRODUCTS))
        for day in _purchase_dates(rng, as_of)
    ]
    values: dict[str, CellValue] = {
        "客户编号": f"C{number:05d}",
        "客户名称": name,
        "联系人": contact,
        "性别/称谓": title,
        "手机": mobile,
        "邮箱": email,
        "城市": city,
        "行业": industry,
        "负责人": None if rng.random() < 0.05 else rng.choice(_REPS),
        "互动次数": len(orders) + rng.randint(0, 12),
        "满意度": None
        if rng.random() < 0.1
        else rng.choices((1, 2, 3, 4, 5), (3, 7, 25, 40, 25))[0],
        "退订": "否",
        "备注": rng.choice(_NOTES) if rng.random() < 0.1 else None,
    }
    customer = _Customer(values, orders)
    _summarise(customer)
    return customer


def _summarise(customer: _Customer) -> None:
    """Fill the summary columns from the customer's orders."""
    days = [day for day, _, _ in customer.orders]
    customer.values.update(
        {
            "首次购买日期": min(days) if days else None,
            "最近购买日期": max(days) if days else None,
            "购买次数": len(days),
            "累计金额": round(sum(amount for _, amount, _ in customer.orders), 2),
        }
    )


def _text_date(day: dt.date, style: int) -> str:
    return (
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.year}.{day.month}.{day.day}",
    )[style % 3]


def _plant_mess(
    rng: random.Random, people: list[_Customer], as_of: dt.date, taken: set[str]
) -> None:
    """Spoil chosen customers the way real lists get spoilt; each customer gets at most one kind."""
    buyers = [c for c in people if c.orders]
    picks = iter(rng.sample(buyers, 64))

    def spoil(kind: str, count: int) -> list[_Customer]:
        chosen = [next(picks) for _ in range(count)]
        for customer in chosen:
            customer.mess.append(kind)
        return chosen

    for i, customer in enumerate(spoil("phone_format", 12)):
        m = str(customer.values["手机"])
        customer.values["手机"] = (
            f"+86 {m[:3]} {m[3:7]} {m[7:]}",
            f"0086-{m}",
            f"{m[:3]}-{m[3:7]}-{m[7:]}",
            f"{m[:3]} {m[3:7]} {m[7:]}",
        )[i % 4]
    for i, customer in enumerate(spoil("landline", 6)):
        customer.values["手机"] = f"{_LANDLINE_AREAS[i]}-8888{rng.randrange(10**4):04d}"
    for i, customer in enumerate(spoil("invalid_mobile", 4)):
        customer.values["手机"] = str(customer.values["手机"])[: (10, 9, 7, 10)[i]]
    for customer in spoil("text_amount", 12):
        customer.values["累计金额"] = f"¥{float(customer.values['累计金额'] or 0):,.2f}"  # type: ignore[arg-type]
    for i, customer in enumerate(spoil("text_date", 12)):
        key = ("首次购买日期", "最近购买日期")[i % 2]
        customer.values[key] = _text_date(customer.values[key], i)  # type: ignore[arg-type]
    for customer in spoil("error", 1):
        customer.values["累计金额"] = "#N/A"
    for customer in spoil("formula_text", 1):
        customer.values["客户名称"] = '=HYPERLINK("http://x","点我")'
    for customer in spoil("opt_out", 4):
        customer.values["退订"] = "是"
    for customer in spoil("invalid_email", 1):
        customer.values["邮箱"] = f"wang{rng.randrange(100, 999)}@163,com"
    # Duplicates: the same company entered again under a slightly different name,
    # with the same contact person and city and the same mobile or email.
    for i, original in enumerate(spoil("duplicate_of", 8)):
        name = str(original.values["客户名称"])
        variant = (
            name.removesuffix("有限公司"),
            name.replace("有限公司", "有限责任公司"),
            name.replace("有限公司", " 有限公司 "),
            name.removesuffix("有限公司") + "公司",
        )[i % 4]
        copy = dict(original.values)
        copy["客户名称"] = variant
        if i % 2 and original.values["邮箱"]:
            copy["手机"] = _MOBILE_PREFIXES[i] + f"{rng.randrange(10**8):08d}"
        else:
            copy["邮箱"] = None
        day = as_of - dt.timedelta(days=rng.randint(1, 200))
        twin = _Customer(
            copy, [(day, round(rng.uniform(300, 3000), 2), rng.choice(_PRODUCTS))], ["duplicate"]
        )
        _summarise(twin)
        people.insert(rng.randint(people.index(original) + 1, len(people)), twin)
    for number, customer in enumerate(people, start=1):
        customer.values["客户编号"] = f"C{number:05d}"
    del taken


def build_demo(customers: int = 2000, seed: int = 42, as_of: dt.date | None = None) -> DemoData:
    """The demo content, deterministic for a seed and as-of date."""
    if customers < 100:
        raise ValueError("the demo needs at least 100 customers to plant its mess")
    as_of = as_of or DEMO_AS_OF
    rng = random.Random(seed)
    taken: set[str] = set()
    people = [_customer(rng, n, as_of, taken) for n in range(1, customers + 1)]
    _plant_mess(rng, people, as_of, taken)
    rows: list[list[CellValue] | None] = [[c.values[h] for h in CUSTOMER_HEADERS] for c in people]
    blanks = sorted(rng.sample(range(20, len(rows) - 20), 3), reverse=True)
    for position in blanks:
        rows.insert(position, None)
    mess: dict[str, list[int]] = {"blank_row": []}
    row_of: dict[int, int] = {}
    customer_rows = iter(people)
    for excel_row, values in enumerate(rows, start=2):
        if values is None:
            mess["blank_row"].append(excel_row)
            continue
        customer = next(customer_rows)
        row_of[id(customer)] = excel_row
        for kind in customer.mess:
            mess.setdefault(kind, []).append(excel_row)
    transactions = sorted(
        (
            (str(c.values["客户编号"]), day, amount, product)
            for c in people
            for day, amount, product in c.orders
        ),
        key=lambda t: (t[1], t[0]),
    )
    return DemoData(as_of=as_of, customers=rows, transactions=transactions, mess=mess)
