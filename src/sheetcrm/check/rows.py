"""Row helpers the duplicate checks share: a role's column as text, the first row of a group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contacts import cell_texts

__all__ = ["first_of_groups", "first_rows", "role_texts"]


def first_rows(codes: np.ndarray, rows: np.ndarray) -> pd.Series:
    """For rows sharing a code, the first row with that code, indexed by each later row."""
    first = pd.Series(rows).groupby(codes, sort=False).transform("min").to_numpy()
    later = first != rows
    return pd.Series(first[later], index=rows[later], dtype=np.int64)


def first_of_groups(keys: pd.Series) -> pd.Series:
    """For rows sharing a non-blank key, the first row with that key, indexed by each later row."""
    present = (keys != "").to_numpy(dtype=bool)
    codes, _ = pd.factorize(keys.to_numpy(dtype=object)[present])
    return first_rows(codes, keys.index.to_numpy()[present])


def role_texts(frame: pd.DataFrame, role: str) -> pd.Series:
    """A role's column as stripped text ('' where blank, or for every row if there is none)."""
    if role not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return cell_texts(frame[role], lambda v: "" if v != v else str(v).strip())
