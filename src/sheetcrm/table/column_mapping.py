"""The settings sheet's ``[columns]`` block: role → header mappings staff write to correct or
complete what sheetcrm detected (applied by :func:`~sheetcrm.table.header_row.match_roles`)."""

from __future__ import annotations

from ..headers import normalise_header
from ..i18n import tr
from ..roles import CUSTOMER_ROLES
from ..settings import Block, Settings, register
from ..values import is_blank

__all__ = ["COLUMNS_BLOCK", "column_overrides"]

COLUMNS_BLOCK = register(
    Block(
        key="columns",
        title_zh="列对应",
        title_en="Column mapping",
        columns=(("role", "角色 Role"), ("header", "表头 Header"), ("note", "说明 Note")),
        defaults=(),
        help="首次运行时填入识别结果；识别错了或缺少的列在此改写表头，如 mobile | 联系方式 · "
        "filled with what the first run detected; correct a header here",
        order=5,
    )
)


def column_overrides(settings: Settings) -> dict[str, str]:
    """Role → header mappings staff wrote in the settings sheet's [columns] block."""
    data = settings.block("columns")
    known = {info.role for info in CUSTOMER_ROLES}
    by_label = {
        normalise_header(n): info.role
        for info in CUSTOMER_ROLES
        for n in (info.role, info.zh, info.en)
    }
    out: dict[str, str] = {}
    for row, record in data.records():
        if is_blank(record["role"]) and is_blank(record["header"]):
            continue
        role = by_label.get(normalise_header(record["role"]))
        if role in known and is_blank(record["header"]):
            continue  # a role no column carries (the block lists every role with its cost)
        if role not in known:
            raise data.error(
                row,
                "role",
                tr(
                    f"未知的角色 '{record['role']}'；可用：{', '.join(sorted(known))}",
                    f"unknown role '{record['role']}'; allowed: {', '.join(sorted(known))}",
                ),
            )
        out[str(role)] = str(record["header"]).strip()
    return out
