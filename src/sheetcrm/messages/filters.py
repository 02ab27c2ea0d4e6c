"""Template filters: salutations, money and dates as people write them (phones: ``contacts``).

Salutations never guess gender from a name: 张总 when a title is known, 张先生 /
张女士 when the gender is given, otherwise the full name, or 尊敬的客户 when there
is no name at all. Compound surnames (欧阳, 司马, …) are kept whole.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from functools import lru_cache
from typing import Any

__all__ = [
    "date_text",
    "money",
    "salutation",
    "surname",
]

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "东郭",
        "万俟",
        "闻人",
        "赫连",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "淳于",
        "单于",
        "太叔",
        "申屠",
        "仲孙",
        "钟离",
        "鲜于",
        "闾丘",
        "司空",
        "亓官",
        "司寇",
        "子车",
        "颛孙",
        "壤驷",
        "公良",
        "漆雕",
        "乐正",
        "宰父",
        "谷梁",
        "拓跋",
        "夹谷",
        "段干",
        "东门",
        "梁丘",
        "左丘",
        "公西",
        "第五",
        "公羊",
        "羊舌",
        "微生",
        "呼延",
        "车正",
    ]
)
_MALE = {"男", "先生", "m", "male", "mr", "mr.", "男士", "男性"}
_FEMALE = {"女", "女士", "f", "female", "ms", "ms.", "mrs", "mrs.", "miss", "小姐", "女性"}
# Job titles as they are said after a surname: 张总经理 is called 张总, 李董事长 李董.
_TITLE_SHORT = {"总经理": "总", "总裁": "总", "老板": "总", "董事长": "董", "董事": "董"}
_EN_TITLES = {"dr": "Dr.", "dr.": "Dr.", "prof": "Prof.", "prof.": "Prof."}
# What follows a surname when staff typed the form of address itself (姜总, 王经理): it wins
# over one made from a gender column.
_TYPED_TITLES = frozenset(
    {"总", "董", "先生", "女士", "小姐", "老师", "经理", "总监", "主任", "老板", "博士", "教授"}
    | set(_TITLE_SHORT)
)
_ORG_WORDS = re.compile(
    r"公司|集团|有限|工厂|厂$|商行|商店|门店|店$|中心|工作室|事务所|医院|学校|大学|银行|协会|"
    r"\b(?:co|ltd|inc|llc|gmbh|corp|company|limited|group)\b\.?",
    re.IGNORECASE,
)
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def is_organisation(name: str) -> bool:
    """True when a name is a company or shop rather than a person."""
    return bool(_ORG_WORDS.search(name))


def surname(name: str) -> str:
    """The family name: 欧阳 of 欧阳娜娜, 张 of 张伟, Smith of John Smith or 'Smith, John'."""
    name = _text(name)
    if not name:
        return ""
    if _CJK.match(name):
        if len(name) >= 3 and name[:2] in COMPOUND_SURNAMES:
            return name[:2]
        return name[0]
    if "," in name:
        return name.split(",", 1)[0].strip()
    return name.split()[-1]


@lru_cache(maxsize=1 << 16)
def _family(person: str) -> str | None:
    """The surname of a person's name; None for a company (addressed by its full name)."""
    return None if is_organisation(person) else surname(person)


def salutation(name: Any, title: Any = None, lang: str = "zh") -> str:
    """How to address a person: 张总, 张先生/张女士, the full name, or 尊敬的客户."""
    person, kind = _text(name), _text(title)
    if not person:
        return "尊敬的客户" if lang == "zh" else "Valued Customer"
    # A table names the same people many times over, and a handful of surnames and
    # titles make all the forms of address: both are worked out once.
    family = _family(person)
    if family is None or (lang == "zh" and person[len(family) :] in _TYPED_TITLES):
        return person
    return _address(family, kind, lang) or person


@lru_cache(maxsize=1 << 12)
def _address(family: str, kind: str, lang: str) -> str | None:
    """A surname with the title as said (张总, Mr. Smith); None when the title gives none."""
    low = kind.lower()
    if lang == "zh":
        if low in _MALE:
            return f"{family}先生"
        if low in _FEMALE:
            return f"{family}女士"
        if kind and _CJK.match(kind) and len(kind) <= 4:
            short = _TITLE_SHORT.get(kind, kind[len(family) :] if kind.startswith(family) else kind)
            return f"{family}{short}" if short else f"{family}总"
        return None
    if low in _MALE:
        return f"Mr. {family}"
    if low in _FEMALE:
        return f"Ms. {family}"
    if low in _EN_TITLES:
        return f"{_EN_TITLES[low]} {family}"
    return None


def money(value: Any, symbol: str = "¥", digits: int = 2) -> str:
    """An amount as ¥1,234.50; text (as the cell displays it) is returned as typed."""
    if value.__class__ is float and value == value:  # the usual cell, in fewer steps
        return f"{'-' if value < 0 else ''}{symbol}{abs(value):,.{digits}f}"
    if isinstance(value, str):
        return value.strip()
    if value is None or isinstance(value, bool):
        return ""
    number = float(value)
    if math.isnan(number):
        return ""
    sign = "-" if number < 0 else ""
    return f"{sign}{symbol}{abs(number):,.{digits}f}"


def date_text(value: Any, lang: str = "zh") -> str:
    """A date as people write it: 2026年3月5日 or Mar 5, 2026 (text is returned as typed)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        return ""
    if lang == "zh":
        return f"{value.year}年{value.month}月{value.day}日"
    return f"{_MONTHS[value.month - 1]} {value.day}, {value.year}"
