"""What a header means: its role, how sure sheetcrm is, and the unit its numbers are in.

The one place that decides what a header text means. An exact alias (from
:mod:`sheetcrm.roles`) is sure; otherwise a header is read from how it is built —
a word for the thing (金额, revenue, 次数, 负责人…) with words for the time
(首次/最近, first/last) or the count — and a unit in it (万元, (万), $K) scales its
numbers. Headers that look like a role but are not (序号/No./# row numbers, a
company's own size such as Annual Revenue or 注册资本) are recognised as such.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from .book.base import CellValue
from .roles import CUSTOMER_ROLES, RoleInfo
from .values import is_blank

__all__ = ["Reading", "Sure", "normalise_header", "read_header"]

Sure = Literal["alias", "built", "guess"]


@dataclass(frozen=True)
class Reading:
    """A header's role (None: no role), how sure, the scale of its numbers, and what it is."""

    role: str | None
    sure: Sure | None = None
    scale: float = 1.0
    # "family" / "given": one half of a name split over two columns.
    part: str | None = None
    # Why a header that looks like a role has none ("row number", "company size", …).
    why: str = ""


_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")
_PUNCT = re.compile(r"[\s_\-–—./\\:：,，;；·•*#'\"“”‘’?？!！]+")


def normalise_header(text: CellValue) -> str:
    """A header reduced for matching: half-width, lower case, no brackets, spaces or punctuation."""
    if is_blank(text):
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).lower().strip()
    return _PUNCT.sub("", _BRACKETS.sub("", folded))


# Units named in a header, in brackets or at its end: the factor its numbers are multiplied by.
_UNITS = (
    (re.compile(r"万元|万|w(?:an)?rmb|10k"), 10_000.0),
    (re.compile(r"亿元|亿"), 100_000_000.0),
    (re.compile(r"千元|千|\$k|k\$|k|thousands?"), 1_000.0),
)
_UNIT_WORDS = re.compile(r"(?:万元|亿元|千元|元|万|亿|rmb|cny|usd|次|单|笔|个)$")


def _unit_scale(folded: str) -> float:
    """The scale a unit in brackets, or at the end of the header, gives its numbers."""
    units = [m.group(0)[1:-1] for m in _BRACKETS.finditer(folded)]
    tail = re.search(r"[/／]\s*(\S+)$", folded)
    if tail:
        units.append(tail.group(1))
    word = _UNIT_WORDS.search(folded)
    units.append(word.group(0) if word else "")
    for unit in units:
        unit = unit.strip()
        for pattern, scale in _UNITS:
            if unit and pattern.fullmatch(unit):
                return scale
    return 1.0


# One rule per idea, tried in order on the header reduced for matching ("#" read as
# "number"). Each: the role (None: a header that is not a role), how sure, the pattern,
# and why a role-less header has no role.
_RULE_TEXTS: tuple[tuple[str | None, Sure, str, str], ...] = (
    (
        None,
        "built",
        r"(序号|行号|序|no|number|sn|sno|rowno|rownumber|row|编号序号)",
        "row number",
    ),
    (
        None,
        "built",
        r".*(annual(revenue|sales|turnover)|年(营业额|营收|收入|销售额|产值)|注册资本|"
        r"registeredcapital|employees?|numberofemployees|员工(人)?数|人数|公司规模|企业规模|"
        r"staffsize|companysize|headcount).*",
        "company size",
    ),
    (None, "built", r".*(leadscore|线索评分|hubspotscore|score(lead)).*", "lead score"),
    (
        "opt_out",
        "built",
        r".*(退订|勿扰|免打扰|拒收|拒绝营销|donot(email|call|contact|text|sms|mail)|"
        r"unsubscri|optout|optedout|emailoptout|^dnc$).*",
        "",
    ),
    (
        "owner",
        "built",
        r".*((所属|归属)(销售|员工|人员|顾问|业务员|客服|人)|负责人|业务员|客户经理|跟进人|"
        r"销售代表|销售顾问|销售人员|销售员|添加人|归属人|owner|salesrep|^rep$|salesperson|"
        r"accountmanager|assignedto|^sales(man|woman)?$).*",
        "",
    ),
    (None, "built", r"(姓|姓氏|lastname|surname|familyname)", "family"),
    (None, "built", r"(名|firstname|givenname|forename)", "given"),
    (
        "mobile",
        "built",
        r".*(手机|电话|phone|mobile|^tel|telephone|^cell|联系方式|contactnumber|whatsapp).*",
        "",
    ),
    (
        "id",
        "built",
        r".*(客户|customer|account|contact|client|record|会员|member|用户|cust)"
        r"(编号|编码|id|number|no|code|代码|号|卡号)",
        "",
    ),
    (
        None,
        "built",
        r".*(最近|最后|上次|最新|last|recent|latest).*(跟进|联系|拜访|沟通|通话|活动|"
        r"activity|contact|visit|login|modified|修改|更新|updated|touch|call|seen).*",
        "a follow-up date, not a purchase",
    ),
    (
        "amount",
        "guess",
        r"(?!.*(日期|时间|date|time|day)).*(首次|最近|最后|上次|first|last|recent|latest).*"
        r"(金额|amount|value|revenue|spend|消费额|成交额)",
        "",
    ),
    ("city", "built", r".*(城市|city|所在地区|地区|省市|区域|region|location|town).*", ""),
    ("industry", "built", r".*(行业|industry|sector|vertical).*", ""),
    (
        "first_purchase",
        "built",
        r".*((首次|首单|第一次|初次|首购|first).*(购买|成交|下单|消费|交易|合作|签约|订单|"
        r"order|purchase|deal|buy|sale|closed?)|customersince|客户since|成为客户|合作开始|"
        r"开始合作|首购|首单).*",
        "",
    ),
    (
        "last_purchase",
        "built",
        r".*(最近|最后|上次|最新|末次|last|recent|latest).*(购买|成交|下单|消费|交易|合作|签约|"
        r"订单|order|purchase|deal|buy|sale|closed?).*(日期|时间|date|time|day|日)?",
        "",
    ),
    (
        "interactions",
        "built",
        r"(numberof|number|total)?.*(互动|沟通|跟进|联系|拜访|通话|触达|touch|call|interaction|"
        r"activit|visit|engagement)(次数|数|数量|count|number|times|ies|es|s)",
        "",
    ),
    (
        "orders",
        "built",
        r".*((购买|成交|下单|订单|交易|消费|合同|签约|复购)(次数|单数|笔数|数量|数|频次)|次数|单数|"
        r"订单数|笔数|频次|frequency|numberof(orders|purchases|deals|associateddeals)|"
        r"(order|purchase|deal)s?(count|number)|number(orders|purchases|deals)|^orders$|"
        r"^purchases$|^deals$).*",
        "",
    ),
    (
        "amount",
        "built",
        r".*(金额|消费|成交额|合同额|合同总额|销售额|业绩|总额|营业额|购买额|付款|回款|"
        r"revenue|spend|spent|value|sales|ltv|lifetime|gmv|amount|purchases?total|totalpurchase).*",
        "",
    ),
    ("satisfaction", "built", r".*(满意|评分|评价|星级|rating|csat|nps|satisf).*", ""),
    ("email", "built", r".*(邮箱|邮件|email|e?mail).*", ""),
    (None, "built", r".*(职位|职务|岗位|jobtitle|position|department|部门).*", "job title"),
    (
        "contact",
        "built",
        r".*(联系人|contactname|contactperson|fullname|^contact$|^姓名$|称呼姓名).*",
        "",
    ),
    (
        "name",
        "built",
        r".*(客户|公司|企业|单位|机构|商户|门店|店铺|account|company|customer|client|"
        r"organi[sz]ation|business)(名称|名|全称|简称|姓名|name)?$",
        "",
    ),
    ("title", "built", r".*(性别|称谓|称呼|gender|salutation|^sex$).*", ""),
    ("contact", "guess", r"备注名|微信昵称|昵称", ""),
    ("notes", "built", r".*(备注|说明|描述|note|remark|comment|description|memo).*", ""),
    ("contact", "guess", r".*(姓名|^name$|^名字$).*", ""),
    ("amount", "guess", r".*(元|¥|\$|rmb|cny|total).*", ""),
)
_RULES = tuple((role, sure, re.compile(text), why) for role, sure, text, why in _RULE_TEXTS)


@cache
def _aliases(roles: tuple[RoleInfo, ...]) -> dict[str, str]:
    """Normalised alias → role for a set of roles (first naming wins)."""
    index: dict[str, str] = {}
    for info in roles:
        for name in (info.role, info.zh, info.en, *info.aliases):
            index.setdefault(normalise_header(name), info.role)
    return index


def _alias_of(header: str, roles: tuple[RoleInfo, ...]) -> str | None:
    """The role an exact alias gives the header, or one of its parts ("手机号码/电话")."""
    index = _aliases(roles)
    found = index.get(normalise_header(header))
    if found:
        return found
    for part in re.split(r"[/／|、]", unicodedata.normalize("NFKC", header)):
        found = index.get(normalise_header(part))
        if found:
            return found
    return None


def read_header(header: CellValue, roles: Sequence[RoleInfo] = CUSTOMER_ROLES) -> Reading:
    """What a header means among ``roles``: exact aliases first, then the rules it is built by."""
    if is_blank(header):
        return Reading(None)
    text = str(header).strip()
    folded = unicodedata.normalize("NFKC", text).lower()
    scale = _unit_scale(folded)
    known = tuple(roles)
    alias = _alias_of(text.replace("#", " number "), known)
    if alias:
        return Reading(alias, "alias", scale)
    if known != CUSTOMER_ROLES:
        return Reading(None)  # construction rules describe customer lists
    key = normalise_header(folded.replace("#", " number "))
    bare = _UNIT_WORDS.sub("", key) or key
    names = {info.role for info in known}
    for role, sure, pattern, why in _RULES:
        if pattern.fullmatch(bare) or pattern.fullmatch(key):
            if role is None:
                if why in ("family", "given"):
                    return Reading(None, sure, part=why)
                return Reading(None, why=why)
            if role in names:
                return Reading(role, sure, scale)
    return Reading(None)
