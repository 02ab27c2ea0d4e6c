"""Touch ids: a short stable hash of customer ID, step key and nominal due date.

The nominal due date is the date the cadence asks for before capacity levelling
and before an overdue touch is pulled up to today, so levelling never changes an
id and a re-run on another day finds the same rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["hashed_ids", "text_hash", "touch_id", "touch_ids"]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)  # a hex digit's ASCII code


def touch_id(customer_id: str, step_key: str, nominal_due: dt.date) -> str:
    """The stable id of a touch: a short hash of customer, step key and nominal due date."""
    ids = touch_ids(
        np.array([customer_id], dtype=object),
        np.array([step_key], dtype=object),
        np.array([nominal_due.toordinal()]),
    )
    return str(ids[0])


def touch_ids(customer_ids: np.ndarray, step_keys: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Touch ids for whole columns: 'T' and 10 hex digits of a keyed SipHash of the parts.

    ``pandas.util.hash_array`` hashes with a fixed key, so ids are the same in every
    process and on every machine.
    """
    return hashed_ids(text_hash(customer_ids), text_hash(step_keys), nominal)


def text_hash(values: np.ndarray) -> np.ndarray:
    """The fixed-key hash of each value as text (a part of a touch id)."""
    # categorize=False: the same hashes, without first finding the distinct values.
    hashes: np.ndarray = pd.util.hash_array(values.astype(str).astype(object), categorize=False)
    return hashes


def hashed_ids(customer_hash: np.ndarray, step_hash: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Touch ids from the hashes of their customer IDs and step keys (see :func:`touch_ids`)."""
    if len(customer_hash) == 0:
        return np.empty(0, dtype=object)
    with np.errstate(over="ignore"):
        mixed = (
            customer_hash
            ^ step_hash * np.uint64(0x9E3779B97F4A7C15)
            ^ nominal.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        )
        digest = pd.util.hash_array(mixed)
    # The top 40 bits as 5 big-endian bytes, spelt as ASCII bytes: one byte per character, not
    # a uint64 and an index per hex digit (a million touches' temporaries were 200 MB).
    top = (digest >> np.uint64(24)).astype(">u8").view(np.uint8).reshape(-1, 8)[:, 3:]
    text = np.empty((len(digest), 11), dtype=np.uint8)
    text[:, 0] = ord("T")
    text[:, 1::2] = _HEX[top >> 4]
    text[:, 2::2] = _HEX[top & 15]
    return text.view("S11").ravel().astype("U11").astype(object)
