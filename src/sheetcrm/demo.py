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
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .book.base import CellValue
from .errors import UsageError
from .i18n import tr
from .values import excel_serial

__all__ = [
    "BIG_NAMES",
    "CUSTOMER_HEADERS",
    "CUSTOMER_SHEET",
    "DEMO_AS_OF",
    "TABLE_NAME",
    "TRANSACTION_HEADERS",
    "TRANSACTION_SHEET",
    "DemoData",
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
# A national list's long tail of cities, for big generated lists (the demo keeps its twenty).
_MORE_CITIES = (
    "无锡", "佛山", "东莞", "泉州", "温州", "烟台", "大连", "沈阳", "哈尔滨", "长春",
    "石家庄", "太原", "南昌", "南宁", "昆明", "贵阳", "兰州", "乌鲁木齐", "呼和浩特", "海口",
    "常州", "徐州", "绍兴", "嘉兴", "台州", "金华", "潍坊", "临沂", "洛阳", "襄阳",
    "宜昌", "株洲", "岳阳", "珠海", "中山", "惠州", "汕头", "漳州", "芜湖", "绵阳",
)  # fmt: skip
# Characters of brand words in big generated lists (none of 公司集团, which the check strips).
_BRAND_CHARS = (
    "华信恒通瑞丰金鼎宏达鑫源天成锦程博远正泰新宇联创盛世汇永安嘉禾中和明德东方长江凯越百川同舟"
    "润海纳启航云帆卓铭扬立广美泽绿晨光景福佳乐康宁兴隆昌茂盈富祥顺利诚业合力众泓智慧睿思捷迅飞"
    "腾骏驰翔鸿鹏锐精优品良尚雅致臻彩虹星辰日月山水林森石峰岳湖湾港洲城邦豪杰英俊伟文武高升志图"
)
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
    count = min(1 + int(rng.paretovariate(1.2)), 40)
    earliest = rng.randint(0, latest - 30)
    return sorted(start + dt.timedelta(days=rng.randint(earliest, latest)) for _ in range(count))


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


def _plant_mess(rng: random.Random, people: list[_Customer], as_of: dt.date) -> None:
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
        # The generator put a number there (a CellValue to mypy), hence the ignore.
        customer.values["累计金额"] = f"¥{float(customer.values['累计金额'] or 0):,.2f}"  # type: ignore[arg-type]
    for i, customer in enumerate(spoil("text_date", 12)):
        key = ("首次购买日期", "最近购买日期")[i % 2]
        customer.values[key] = _text_date(customer.values[key], i)  # type: ignore[arg-type]  # a date here
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


def demo_size_limits() -> tuple[int, int]:
    """The fewest customers the demo can plant its mess among, and the most distinct names."""
    return 100, len(_CITIES) * len(_BRANDS) * len(_INDUSTRIES)


def build_demo(customers: int = 2000, seed: int = 42, as_of: dt.date | None = None) -> DemoData:
    """The demo content, deterministic for a seed and as-of date."""
    fewest, most = demo_size_limits()
    if not fewest <= customers <= most:
        raise UsageError(
            tr(
                f"演示工作簿的客户数须在 {fewest} 到 {most:,} 之间，不是 {customers:,}"
                "（更大的表请用 benchmarks/ 里的生成器）",
                f"the demo holds {fewest} to {most:,} customers, not {customers:,} "
                "(for bigger tables use the generator in benchmarks/)",
            )
        )
    as_of = as_of or DEMO_AS_OF
    rng = random.Random(seed)
    taken: set[str] = set()
    people = [_customer(rng, n, as_of, taken) for n in range(1, customers + 1)]
    _plant_mess(rng, people, as_of)
    rows: list[list[CellValue] | None] = [[c.values[h] for h in CUSTOMER_HEADERS] for c in people]
    blanks = sorted(rng.sample(range(20, len(rows) - 20), 3), reverse=True)
    for position in blanks:
        rows.insert(position, None)
    mess: dict[str, list[int]] = {"blank_row": []}
    customer_rows = iter(people)
    for excel_row, values in enumerate(rows, start=2):
        if values is None:
            mess["blank_row"].append(excel_row)
            continue
        customer = next(customer_rows)
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


_WIDTHS = (10, 30, 10, 10, 18, 26, 8, 14, 8, 13, 13, 9, 14, 9, 8, 6, 16)
_MESS_TEXT = {
    "duplicate": (
        "重复客户：名称略有不同，手机或邮箱相同",
        "duplicate customer: slightly different name, same mobile or email",
    ),
    "duplicate_of": ("被重复录入的原客户", "the original of a duplicate"),
    "phone_format": (
        "手机写成 +86 / 0086 / 空格 / 横线 形式（有效，只需统一）",
        "mobile written as +86 / 0086 / spaces / dashes (valid, needs normalising)",
    ),
    "landline": ("填的是固定电话，不能收短信", "a landline instead of a mobile: no SMS possible"),
    "invalid_mobile": ("手机号位数不够", "mobile number too short"),
    "text_amount": ("金额是文本，如 ¥1,234.50", "amount typed as text, e.g. ¥1,234.50"),
    "text_date": (
        "日期是文本，如 2024/3/5、2024年3月5日、2024.3.5",
        "date typed as text, e.g. 2024/3/5, 2024年3月5日, 2024.3.5",
    ),
    "blank_row": ("表格中间的空行", "a blank row inside the table"),
    "error": ("累计金额是 #N/A 错误值", "the amount is the error value #N/A"),
    "formula_text": (
        "客户名称以 = 开头（按文本保存，不是公式）",
        "customer name starting with = (stored as text, not a formula)",
    ),
    "opt_out": ("已退订，不应再发营销信息", "opted out: must not receive marketing"),
    "invalid_email": ("邮箱写错（逗号代替点）", "malformed email (comma instead of dot)"),
}


def _readme_rows(data: DemoData) -> list[tuple[str, str]]:
    rows = [
        ("sheetcrm 演示工作簿", "sheetcrm demo workbook"),
        (
            f"统计日期：{data.as_of.isoformat()}（固定，文件可重复生成）",
            f"As-of date: {data.as_of.isoformat()} (fixed, so the file is reproducible)",
        ),
        (
            f"「{CUSTOMER_SHEET}」：{sum(r is not None for r in data.customers)} 位虚构客户，Excel 表格「{TABLE_NAME}」",
            f"'{CUSTOMER_SHEET}': {sum(r is not None for r in data.customers)} fictitious customers in the Excel Table '{TABLE_NAME}'",
        ),
        (
            f"「{TRANSACTION_SHEET}」：统计日期前约 18 个月的 {len(data.transactions)} 笔订单；干净行的购买次数、累计金额、首次/最近购买日期与之一致",
            f"'{TRANSACTION_SHEET}': {len(data.transactions)} orders over the ~18 months before the as-of date; for clean rows the order count, total and first/last dates agree with them",
        ),
        (
            "下列问题是故意埋下的，供“数据检查”发现（行号为 Excel 行号）：",
            "The problems below are planted on purpose for the data check to find (Excel row numbers):",
        ),
    ]
    for kind, excel_rows in data.mess.items():
        zh, en = _MESS_TEXT[kind]
        listed = ", ".join(str(r) for r in excel_rows)
        rows.append((f"· {zh}：第 {listed} 行", f"· {en}: rows {listed}"))
    rows.append(
        (
            "所有姓名、公司、电话和邮箱均为随机生成，如有雷同纯属巧合。",
            "All names, companies, phones and emails are random; any resemblance is coincidental.",
        )
    )
    return rows


def _write_cell(sheet: Worksheet, row: int, col: int, value: CellValue, fmt: Format | None) -> None:
    """Write one value with its own type; text is always text (never a formula)."""
    if value is None:
        sheet.write_blank(row, col, None, fmt)
    elif value == "#N/A":
        sheet.write_formula(row, col, "=NA()", None, "#N/A")
    elif isinstance(value, str):
        sheet.write_string(row, col, value)
    elif isinstance(value, dt.date):
        sheet.write_number(row, col, excel_serial(value), fmt)
    else:
        sheet.write_number(row, col, value, fmt)


def _customer_sheet(book: xlsxwriter.Workbook, rows: int) -> tuple[Worksheet, list[Format | None]]:
    """The customer sheet with its Table, widths and frozen header; returns the column formats."""
    sheet = book.add_worksheet(CUSTOMER_SHEET)
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = book.add_format({"num_format": "#,##0.00"})
    formats: list[Format | None] = [None] * len(CUSTOMER_HEADERS)
    for col in (9, 10):
        formats[col] = date_fmt
    formats[12] = money_fmt
    # XlsxWriter refuses add_table() in constant_memory mode only because a table's header cells
    # must be written before any later row is flushed; adding the table first, with the mode
    # lifted for that one call, writes them in order (row 0 is flushed by the first data row).
    streaming, sheet.constant_memory = sheet.constant_memory, 0
    sheet.add_table(
        0,
        0,
        max(rows, 1),
        len(CUSTOMER_HEADERS) - 1,
        {
            "name": TABLE_NAME,
            "style": "Table Style Medium 2",
            "columns": [{"header": header} for header in CUSTOMER_HEADERS],
        },
    )
    sheet.constant_memory = streaming
    if streaming:  # streamed rows hold inline strings, not the shared ones add_table() wrote
        for col, header in enumerate(CUSTOMER_HEADERS):
            sheet.write_string(0, col, header)
    for col, width in enumerate(_WIDTHS):
        sheet.set_column(col, col, width, formats[col])
    sheet.freeze_panes(1, 0)
    return sheet, formats


def _fixed_properties(book: xlsxwriter.Workbook) -> None:
    # A fixed creation time keeps two runs byte-for-byte comparable.
    book.set_properties({"created": dt.datetime(2026, 1, 1), "author": "sheetcrm demo"})


def write_demo(
    path: Path, customers: int = 2000, seed: int = 42, as_of: dt.date | None = None
) -> None:
    """Write the demo workbook: customers, transactions and an explanation sheet."""
    data = build_demo(customers, seed, as_of)
    book = xlsxwriter.Workbook(str(path))
    _fixed_properties(book)
    sheet, formats = _customer_sheet(book, len(data.customers))
    for r, values in enumerate(data.customers, start=1):
        for c, value in enumerate(values or [None] * len(CUSTOMER_HEADERS)):
            _write_cell(sheet, r, c, value, formats[c])
    orders = book.add_worksheet(TRANSACTION_SHEET)
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    money_fmt = book.add_format({"num_format": "#,##0.00"})
    bold = book.add_format({"bold": True})
    orders.write_row(0, 0, TRANSACTION_HEADERS, bold)
    for r, (customer_id, day, amount, product) in enumerate(data.transactions, start=1):
        orders.write_string(r, 0, customer_id)
        orders.write_number(r, 1, excel_serial(day), date_fmt)
        orders.write_number(r, 2, amount, money_fmt)
        orders.write_string(r, 3, product)
    orders.set_column(0, 0, 10)
    orders.set_column(1, 2, 13)
    orders.set_column(3, 3, 14)
    orders.freeze_panes(1, 0)
    orders.autofilter(0, 0, len(data.transactions), len(TRANSACTION_HEADERS) - 1)
    readme = book.add_worksheet(README_SHEET)
    readme.set_column(0, 1, 70)
    for r, (zh, en) in enumerate(_readme_rows(data)):
        readme.write_string(r, 0, zh, bold if r == 0 else None)
        readme.write_string(r, 1, en, bold if r == 0 else None)
    book.close()


BIG_NAMES = ("current", "prefix", "people", "companies", "english")


def write_big_customers(
    path: Path, rows: int, seed: int = 1, *, names: str = "current", shared_strings: bool = False
) -> None:
    """Write a large customer table (same headers and Table as the demo) for benchmarks.

    ``names``: the names (with their cities and contacts) of :data:`BIG_NAMES`: ``current``,
    this generator's own, else one of :func:`sheetcrm.demo_names.sample_names`' kinds.
    ``shared_strings``: text through a shared-strings table, as Excel saves it, not inline
    (XlsxWriter then holds the whole sheet in memory until it saves).
    """
    if not 1 <= rows <= 1_048_575:
        raise ValueError(f"rows must be 1 to 1,048,575, not {rows}")
    if names not in BIG_NAMES:
        raise ValueError(f"names must be one of {', '.join(BIG_NAMES)}, not {names!r}")
    rng = np.random.default_rng(seed)

    def pick(items: Sequence[object]) -> np.ndarray:
        return np.asarray(items, dtype=object)[rng.integers(0, len(items), rows)]

    words = np.asarray([w for w, _ in _INDUSTRIES], dtype=object)
    city = pick(_CITIES + _MORE_CITIES)
    kind = rng.integers(0, len(_INDUSTRIES), rows)
    # A brand of four characters (two words) drawn from 135: 3·10⁸ brands per city and trade, so
    # a full sheet repeats few names and few differ in one character (what the check reads as
    # a typo, hence a likely duplicate).
    chars = list(_BRAND_CHARS)
    brand = pick(chars) + pick(chars) + pick(chars) + pick(chars)
    name = city + brand + words[kind] + "有限公司"
    # About 2.5 % of rows enter an earlier customer again under a variant of its name in its
    # city (the check's likely duplicates): as many per 100,000 rows as there always were.
    again = rng.random(rows) < 0.025
    again[0] = False
    twins = np.flatnonzero(again)
    originals = np.flatnonzero(~again)
    of = originals[(rng.random(len(twins)) * np.searchsorted(originals, twins)).astype(np.int64)]
    suffix = np.asarray(("有限责任公司", "公司", "", " 有限公司"), dtype=object)
    city[twins], kind[twins] = city[of], kind[of]
    name[twins] = city[of] + brand[of] + words[kind[of]] + suffix[rng.integers(0, 4, len(twins))]
    surname = pick(_SURNAMES)
    contact = surname + pick(list(_GIVEN)) + pick(list(_GIVEN))
    if names != "current":
        from .demo_names import sample_names  # it builds on this module: imported when used

        sample = sample_names(names, rows, seed)
        name, city, contact = sample.names, sample.cities, sample.contacts
    mobile = pick(_MOBILE_PREFIXES) + np.char.zfill(
        rng.integers(0, 10**8, rows).astype(str), 8
    ).astype(object)
    email = np.where(
        rng.random(rows) < 0.7,
        "u" + np.arange(rows).astype(str).astype(object) + "@" + pick(_MAIL_DOMAINS),
        np.asarray(None, dtype=object),
    )
    end = excel_serial(DEMO_AS_OF)
    last = end - rng.integers(0, _WINDOW_DAYS, rows)
    first = last - np.minimum(rng.integers(0, _WINDOW_DAYS, rows), last - (end - _WINDOW_DAYS))
    orders = np.where(first == last, 1, 2 + rng.poisson(2, rows))
    amount = np.round(orders * rng.lognormal(7.0, 1.0, rows), 2)
    columns: list[Sequence[CellValue]] = [
        [f"C{n:07d}" for n in range(1, rows + 1)],
        name.tolist(),
        contact.tolist(),
        pick(("先生", "女士", None, None)).tolist(),
        mobile.tolist(),
        email.tolist(),
        city.tolist(),
        np.asarray([i for _, i in _INDUSTRIES], dtype=object)[kind].tolist(),
        pick(_REPS).tolist(),
        first.astype(float).tolist(),
        last.astype(float).tolist(),
        orders.tolist(),
        amount.tolist(),
        (orders + rng.integers(0, 10, rows)).tolist(),
        rng.integers(1, 6, rows).tolist(),
        np.where(rng.random(rows) < 0.01, "是", "否").tolist(),
        [None] * rows,
    ]
    # constant_memory streams rows out with inline strings; without it, XlsxWriter writes
    # Excel's shared-strings table.
    book = xlsxwriter.Workbook(str(path), {"constant_memory": not shared_strings})
    _fixed_properties(book)
    sheet, formats = _customer_sheet(book, rows)
    for r, values in enumerate(zip(*columns, strict=True), start=1):
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            else:
                sheet.write_number(r, c, value, formats[c])
    book.close()
