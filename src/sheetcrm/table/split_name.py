"""A name split over two columns (姓 + 名, First Name + Last Name) read as one name."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..book.base import blank_cells
from ..headers import read_header
from ..roles import RoleInfo
from ..values import is_blank

__all__ = ["joined_name", "split_name"]


def split_name(
    headers: Sequence[str], role_map: Mapping[str, str], roles: Sequence[RoleInfo]
) -> tuple[str, int, int, bool] | None:
    """(role, family position, given position, Chinese order) of a name split over two columns."""
    parts: dict[str, int] = {}
    for position, header in enumerate(headers):
        part = read_header(header, roles).part
        if part and header not in role_map.values():
            parts.setdefault(part, position)
    if len(parts) < 2:
        return None
    role = "contact" if "name" in role_map else "name"
    if role in role_map:
        return None
    family = parts["family"]
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in headers[family])
    return role, family, parts["given"], chinese


def joined_name(family: np.ndarray, given: np.ndarray, chinese: bool) -> np.ndarray:
    """One name from its two halves, in the order people write it (姓名; First Last)."""
    out = blank_cells(len(family))
    for pos, (last, first) in enumerate(zip(family, given, strict=True)):
        halves = [h for h in ((last, first) if chinese else (first, last)) if not is_blank(h)]
        if halves:
            out[pos] = ("" if chinese else " ").join(str(h).strip() for h in halves)
    return out
