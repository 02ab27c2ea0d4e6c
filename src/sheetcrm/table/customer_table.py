"""The :class:`~sheetcrm.book.base.CustomerTable` built from a grid: a name column required (a
contact's name stands in for it), an id made from name + mobile/e-mail where a list has none."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..book.base import CellValue, CustomerTable
from ..errors import MissingColumnError
from ..i18n import tr
from ..roles import CUSTOMER_ROLES, role_info
from .typed_table import build_table

__all__ = ["build_customer_table", "made_ids"]


def build_customer_table(
    grid: Sequence[Sequence[CellValue]] | np.ndarray,
    sheet: str,
    header_row: int,
    first_column: int,
    *,
    table: str | None = None,
    last_row: int | None = None,
    date1904: bool = False,
    overrides: Mapping[str, str] | None = None,
    data_width: int | None = None,
) -> CustomerTable:
    """The customer table whose header is at Excel row/column numbers ``header_row``/``first_column``
    (``data_width``: see :func:`build_table`)."""
    headers, roles, frame, raw, problems = build_table(
        grid,
        sheet,
        header_row - 1,
        first_column - 1,
        roles=CUSTOMER_ROLES,
        last_index=None if last_row is None else last_row - 1,
        date1904=date1904,
        overrides=overrides,
        data_width=data_width,
        customers=True,
    )
    if "name" not in roles and "contact" in roles:
        # A list of people (客户姓名, 姓名): the contact's name is the customer's.
        roles["name"] = roles.pop("contact")
        frame = frame.rename(columns={"contact": "name"})
    if "name" not in roles:
        info = role_info("name")
        raise MissingColumnError(
            tr(
                f"客户表需要一列客户名称（如 {info.zh}、客户姓名、公司名称）；看到的表头：{', '.join(headers)}。"
                "请添加这一列，或在设置表的 [columns] 区块中指定对应的表头",
                f"the customer table needs a name column (such as {info.en}, Account Name, Company); "
                f"headers seen: {', '.join(headers)}. Add it, or map your header in the [columns] "
                "block of the settings sheet",
            ),
            sheet=sheet,
            row=header_row,
        )
    made_id = "id" not in roles
    if made_id:
        frame.insert(0, "id", made_ids(frame))
    return CustomerTable(
        sheet=sheet,
        table=table,
        header_row=header_row,
        first_column=first_column,
        headers=headers,
        roles=roles,
        frame=frame,
        raw=raw,
        problems=problems,
        date1904=date1904,
        made_id=made_id,
    )


def made_ids(frame: pd.DataFrame) -> pd.Series:
    """Stable keys for customers without an ID column: name + mobile, else name + e-mail, else name."""
    name = frame["name"].fillna("").astype(str)
    key = name.copy()
    for role in ("email", "mobile"):  # the mobile, where there is one, wins
        if role in frame.columns:
            other = frame[role].fillna("").astype(str)
            key = key.where(other == "", name + "·" + other)
    return key.where(key != "", None)
