"""Column roles: the names the engine uses for the customer table's columns.

The engine never sees header text. :mod:`sheetcrm.headers` maps each header
(Chinese or English: these aliases exactly, other headers by how they are
built) to one of these roles; the settings sheet can override the mapping.
Engine DataFrames use these strings as column names.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CUSTOMER_ROLES", "TRANSACTION_ROLES", "RoleInfo", "role_info"]


@dataclass(frozen=True)
class RoleInfo:
    """What a role means, how it is typed, and the headers that name it."""

    role: str
    kind: str  # "text" | "number" | "integer" | "date" | "bool" | "phone" | "email"
    zh: str
    en: str
    aliases: tuple[str, ...] = ()


CUSTOMER_ROLES: tuple[RoleInfo, ...] = (
    RoleInfo(
        "id",
        "text",
        "客户编号",
        "Customer ID",
        (
            "客户ID",
            "客户id",
            "编号",
            "客户代码",
            "ID",
            "Customer No",
            "Customer Number",
            "CustID",
            "Code",
        ),
    ),
    RoleInfo(
        "name",
        "text",
        "客户名称",
        "Customer",
        (
            "客户名",
            "客户",
            "公司名称",
            "公司",
            "单位名称",
            "名称",
            "Name",
            "Customer Name",
            "Company",
            "Account",
            "Account Name",
        ),
    ),
    RoleInfo(
        "contact",
        "text",
        "联系人",
        "Contact",
        ("联系人姓名", "姓名", "Contact Name", "Contact Person"),
    ),
    RoleInfo(
        "title",
        "text",
        "性别/称谓",
        "Gender/Title",
        ("性别", "称谓", "称呼", "性别称谓", "Gender", "Title", "Salutation", "Sex"),
    ),
    RoleInfo(
        "mobile",
        "phone",
        "手机",
        "Mobile",
        (
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "电话号码",
            "Phone",
            "Mobile Phone",
            "Cell",
            "Tel",
            "Telephone",
        ),
    ),
    RoleInfo(
        "email",
        "email",
        "邮箱",
        "Email",
        ("电子邮箱", "邮件", "电子邮件", "E-mail", "Mail", "Email Address"),
    ),
    RoleInfo("city", "text", "城市", "City", ("所在城市", "地区", "区域", "Region", "Location")),
    RoleInfo("industry", "text", "行业", "Industry", ("所属行业", "Sector")),
    RoleInfo(
        "owner",
        "text",
        "负责人",
        "Owner",
        (
            "销售",
            "业务员",
            "客户经理",
            "跟进人",
            "归属销售",
            "Rep",
            "Sales Rep",
            "Account Owner",
            "Salesperson",
        ),
    ),
    RoleInfo(
        "first_purchase",
        "date",
        "首次购买日期",
        "First Purchase",
        ("首次购买", "首购日期", "首次下单日期", "First Purchase Date", "First Order Date"),
    ),
    RoleInfo(
        "last_purchase",
        "date",
        "最近购买日期",
        "Last Purchase",
        (
            "最近购买",
            "最后购买日期",
            "最近下单日期",
            "最后下单日期",
            "Last Purchase Date",
            "Last Order Date",
        ),
    ),
    RoleInfo(
        "orders",
        "integer",
        "购买次数",
        "Orders",
        ("订单数", "下单次数", "购买频次", "Order Count", "Purchases", "Frequency"),
    ),
    RoleInfo(
        "amount",
        "number",
        "累计金额",
        "Total Spent",
        (
            "累计消费",
            "消费金额",
            "购买金额",
            "总金额",
            "累计购买金额",
            "Amount",
            "Revenue",
            "Total Amount",
            "Monetary",
            "Sales",
        ),
    ),
    RoleInfo(
        "interactions",
        "integer",
        "互动次数",
        "Interactions",
        ("互动", "沟通次数", "联系次数", "Interaction Count", "Touches"),
    ),
    RoleInfo(
        "satisfaction",
        "number",
        "满意度",
        "Satisfaction",
        (
            "反馈评分",
            "满意度评分",
            "评分",
            "Satisfaction Score",
            "Feedback Score",
            "Rating",
            "CSAT",
        ),
    ),
    RoleInfo(
        "opt_out",
        "bool",
        "退订",
        "Opted Out",
        (
            "是否退订",
            "勿扰",
            "免打扰",
            "Opt-out",
            "Opt Out",
            "Unsubscribed",
            "Do Not Contact",
            "DNC",
        ),
    ),
    RoleInfo("notes", "text", "备注", "Notes", ("说明", "Note", "Remarks", "Comment", "Comments")),
)

TRANSACTION_ROLES: tuple[RoleInfo, ...] = (
    RoleInfo(
        "customer_id",
        "text",
        "客户编号",
        "Customer ID",
        ("客户ID", "客户id", "编号", "ID", "Customer No", "CustID"),
    ),
    RoleInfo(
        "date",
        "date",
        "日期",
        "Date",
        ("交易日期", "订单日期", "下单日期", "购买日期", "Order Date"),
    ),
    RoleInfo(
        "amount",
        "number",
        "金额",
        "Amount",
        ("交易金额", "订单金额", "Order Amount", "Revenue", "Total"),
    ),
    RoleInfo("product", "text", "产品", "Product", ("商品", "产品名称", "Item", "Product Name")),
)

_BY_ROLE = {info.role: info for info in CUSTOMER_ROLES}


def role_info(role: str) -> RoleInfo:
    """The description of a customer-table role."""
    return _BY_ROLE[role]
