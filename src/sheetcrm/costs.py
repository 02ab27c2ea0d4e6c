"""What each missing column costs: one bilingual table of role → consequence, the lines a job
prints first (the roles it uses and the ones it lacks) and the rows of the settings sheet's
``[columns]`` block, filled in with what was detected."""

from __future__ import annotations

from .book.base import CellValue, CustomerTable
from .headers import read_header
from .i18n import tr
from .roles import CUSTOMER_ROLES

__all__ = ["COSTS", "block_rows", "cost", "understanding_lines"]

# Role → (zh, en): what the results lose when no column carries the role.
COSTS: dict[str, tuple[str, str]] = {
    "id": (
        "没有客户编号：用名称+手机识别客户",
        "no customer ID: customers are identified by name + mobile",
    ),
    "name": (
        "没有客户名称：无法识别客户",
        "no customer name: customers cannot be told apart",
    ),
    "contact": (
        "没有联系人：消息称呼客户名称",
        "no contact person: messages address the customer's name",
    ),
    "title": (
        "没有性别/称谓：消息不加先生/女士等称谓",
        "no title: messages address customers without Mr/Ms",
    ),
    "mobile": (
        "没有手机：不能发短信，电话跟进没有号码",
        "no mobile: no text messages, calls have no number",
    ),
    "email": (
        "没有邮箱：不能发邮件",
        "no e-mail: no e-mails are sent",
    ),
    "city": (
        "没有城市：无法按城市查看客户",
        "no city: customers cannot be viewed by city",
    ),
    "industry": (
        "没有行业：无法按行业查看客户",
        "no industry: customers cannot be viewed by industry",
    ),
    "owner": (
        "没有负责人：客户按轮转分配",
        "no owner: customers are assigned to reps in turn",
    ),
    "first_purchase": (
        "没有首次购买日期：购买间隔未知，生命周期按通常间隔估计",
        "no first purchase date: purchase rhythm unknown, lifecycle uses a usual gap",
    ),
    "last_purchase": (
        "没有最近购买日期：无法计算 R 和生命周期",
        "no last purchase date: R and the lifecycle cannot be computed",
    ),
    "orders": (
        "没有购买次数：分级只按金额和最近购买计算",
        "no order count: tiers use only the amount and the last purchase",
    ),
    "amount": (
        "没有累计金额：分级只按次数和最近购买计算",
        "no amount: tiers use only the order count and the last purchase",
    ),
    "interactions": (
        "没有互动次数：分级不计互动",
        "no interactions: tiers leave interactions out",
    ),
    "satisfaction": (
        "没有满意度：分级不计满意度",
        "no satisfaction: tiers leave satisfaction out",
    ),
    "opt_out": (
        "没有退订标记：所有客户都视为可联系",
        "no opt-out column: every customer is taken as reachable",
    ),
    "notes": (
        "没有备注：无影响",
        "no notes: nothing is lost",
    ),
}


def cost(role: str) -> str:
    """What a missing role costs, in the current language."""
    return tr(*COSTS[role])


def _split_name(table: CustomerTable, role: str) -> bool:
    """Whether the role's column is a name joined from two (姓 + 名): no one header carries it."""
    return bool(read_header(table.roles[role]).part)


def understanding_lines(table: CustomerTable) -> list[str]:
    """The roles a job uses (with their headers) and, one a line, what each missing one costs."""
    used = [
        tr(f"{info.zh}「{table.roles[info.role]}」", f"{info.en} '{table.roles[info.role]}'")
        for info in CUSTOMER_ROLES
        if info.role in table.roles
    ]
    lines = [tr("使用的列：", "columns used: ") + tr("、", ", ").join(used)]
    missing = [info.role for info in CUSTOMER_ROLES if info.role not in table.roles]
    if missing:
        lines.append(tr("缺少的列：", "columns missing:"))
        lines.extend(f"  - {cost(role)}" for role in missing)
    return lines


def block_rows(table: CustomerTable) -> list[tuple[CellValue, ...]]:
    """The ``[columns]`` block as detected: role | header | what its absence costs, one row per
    role, so staff correct a wrong guess (or fill a missing header) and the next run uses it."""
    rows: list[tuple[CellValue, ...]] = []
    for info in CUSTOMER_ROLES:
        header = table.roles.get(info.role)
        if header is not None and _split_name(table, info.role):
            # A name joined from 姓 + 名 is found again each run; mapping one half would stop it.
            rows.append((info.role, None, tr("由两列（姓+名）合成", "joined from two columns")))
        elif header is not None:
            rows.append((info.role, header, None))
        else:
            rows.append((info.role, None, cost(info.role)))
    return rows
