"""What sheetcrm understood of a workbook's customer list: sheet, header row, each header's
role and how sure, the roles it lacks, and how many customers (``sheetcrm columns``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .book.base import CustomerTable
from .book.xlsx_read import XlsxReader
from .errors import WorkbookError
from .headers import read_header
from .i18n import tr
from .roles import CUSTOMER_ROLES
from .settings import SETTINGS_SHEET, Settings
from .sheets.tiers import old_result_headers
from .table.column_mapping import column_overrides

__all__ = ["Column", "Understood", "understand", "understood_table"]


@dataclass(frozen=True)
class Column:
    """One header, the role it was given (None: no role) and how sure sheetcrm is."""

    header: str
    role: str | None
    sure: str | None  # "settings" | "alias" | "built" | "guess" | None


@dataclass(frozen=True)
class Understood:
    """The customer list as sheetcrm reads it."""

    sheet: str
    header_row: int
    customers: int
    columns: tuple[Column, ...]
    missing: tuple[str, ...]
    made_id: bool
    skipped: int  # rows left out: totals, repeated headers, section titles

    def as_json(self) -> dict[str, Any]:
        """The contract of ``columns --json``: exactly these keys."""
        return {
            "sheet": self.sheet,
            "header_row": self.header_row,
            "customers": self.customers,
            "columns": [{"header": c.header, "role": c.role} for c in self.columns],
            "missing": list(self.missing),
        }

    def lines(self) -> list[str]:
        """The same, for a person to read."""
        sure_words = {
            "settings": tr("设置表指定", "from the settings"),
            "alias": tr("确定", "sure"),
            "built": tr("按构词识别", "from its words"),
            "guess": tr("推测", "a guess"),
        }
        width = max((len(c.header) for c in self.columns), default=0)
        out = [
            tr(f"工作表：{self.sheet}", f"sheet: {self.sheet}"),
            tr(f"表头行：第 {self.header_row} 行", f"header row: {self.header_row}"),
        ]
        for column in self.columns:
            role = column.role or "—"
            sure = f"（{sure_words[column.sure]}）" if column.role and column.sure else ""
            out.append(f"  {column.header:<{width}}  →  {role}{sure}")
        out.append(
            tr(
                f"未找到的角色：{'、'.join(self.missing) or '无'}",
                f"roles not found: {', '.join(self.missing) or 'none'}",
            )
        )
        if self.made_id:
            out.append(
                tr(
                    "没有客户编号列：按 名称+手机（或邮箱）识别客户",
                    "no customer ID column: customers are told apart by name + mobile (or e-mail)",
                )
            )
        if self.skipped:
            out.append(
                tr(
                    f"跳过 {self.skipped} 行（合计、重复表头或分组标题）",
                    f"{self.skipped} rows skipped (totals, repeated headers or section titles)",
                )
            )
        out.append(tr(f"客户数：{self.customers}", f"customers: {self.customers}"))
        return out


def understood_table(table: CustomerTable, overrides: dict[str, str] | None = None) -> Understood:
    """What a customer table read says about its headers and rows."""
    by_header = {header: role for role, header in table.roles.items()}
    given = set((overrides or {}).values())
    old = old_result_headers()
    columns = []
    for header in table.headers:
        if header in old:
            continue
        reading = read_header(header)
        role = by_header.get(header)
        if role is None and reading.part:
            # The other half of a split name carries the role of the first.
            role = next((r for r in ("contact", "name") if r in table.roles), None)
            role = role if role and read_header(table.roles[role]).part else None
        sure = "settings" if header in given else reading.sure
        columns.append(Column(header, role, sure if role else None))
    missing = tuple(info.role for info in CUSTOMER_ROLES if info.role not in table.roles)
    return Understood(
        sheet=table.sheet,
        header_row=table.header_row,
        customers=len(table.frame),
        columns=tuple(columns),
        missing=missing,
        made_id=table.made_id,
        skipped=sum(problem.kind == "skipped" for problem in table.problems),
    )


def understand(path: Path, *, sheet: str | None = None, table: str | None = None) -> Understood:
    """Read a workbook file's customer list (reading only) and say what was understood."""
    if not Path(path).is_file():
        raise WorkbookError(
            tr(f"找不到文件 {path}，请检查路径", f"file {path} does not exist; check the path")
        )
    reader = XlsxReader(path)
    settings = Settings(
        reader.read_grid(SETTINGS_SHEET) if SETTINGS_SHEET in reader.sheet_names() else None
    )
    overrides = column_overrides(settings)
    found = reader.read_customers(
        sheet=sheet, table=table, overrides=overrides, leave_out=old_result_headers()
    )
    return understood_table(found, overrides)
