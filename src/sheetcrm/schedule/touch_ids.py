"""Touch ids: a short stable hash of customer ID, step key and nominal due date.

The nominal due date is the date the cadence asks for before capacity levelling
and before an overdue touch is pulled up to today, so levelling never changes an
id and a re-run on another day finds the same rows.
"""

from __future__ import annotations

import datetime as dt
from itertools import repeat

import numpy as np
import pandas as pd

from .columns import numpy_texts

__all__ = [
    "ID_NUMBERS",
    "hashed_ids",
    "hashed_numbers",
    "id_numbers",
    "id_texts",
    "text_hash",
    "touch_id",
    "touch_ids",
]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)  # a hex digit's ASCII code
ID_NUMBERS = 1 << 40  # every id's number is below: 10 hex digits
_DIGIT_VALUE = np.full(128, -1, dtype=np.int8)  # a character's value as an id's digit, else -1
_DIGIT_VALUE[_HEX] = np.arange(16)
_DIGIT_WEIGHT = 16 ** np.arange(9, -1, -1, dtype=np.int64)


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
    hashes: np.ndarray = pd.util.hash_array(numpy_texts(values), categorize=False)
    return hashes


def hashed_ids(customer_hash: np.ndarray, step_hash: np.ndarray, nominal: np.ndarray) -> np.ndarray:
    """Touch ids from the hashes of their customer IDs and step keys (see :func:`touch_ids`)."""
    return id_texts(hashed_numbers(customer_hash, step_hash, nominal))


def hashed_numbers(
    customer_hash: np.ndarray, step_hash: np.ndarray, nominal: np.ndarray
) -> np.ndarray:
    """Touch ids as numbers below :data:`ID_NUMBERS` (their text: :func:`id_texts`)."""
    with np.errstate(over="ignore"):
        mixed = (
            customer_hash
            ^ step_hash * np.uint64(0x9E3779B97F4A7C15)
            ^ nominal.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
        )
    numbers: np.ndarray = pd.util.hash_array(mixed) >> np.uint64(24)  # the digest's top 40 bits
    return numbers


def id_texts(numbers: np.ndarray) -> np.ndarray:
    """The ids of numbers below :data:`ID_NUMBERS`: 'T' and 10 hex digits, as an object array."""
    if len(numbers) == 0:
        return np.empty(0, dtype=object)
    # The 40 bits as 5 big-endian bytes, spelt as ASCII bytes: one byte per character, not
    # a uint64 and an index per hex digit (a million touches' temporaries were 200 MB).
    top = numbers.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 3:]
    text = np.empty((len(numbers), 11), dtype=np.uint8)
    text[:, 0] = ord("T")
    text[:, 1::2] = _HEX[top >> 4]
    text[:, 2::2] = _HEX[top & 15]
    return text.view("S11").ravel().astype("U11").astype(object)


def id_numbers(values: np.ndarray) -> np.ndarray:
    """The number of each string spelt as :func:`id_texts` spells one (-1 for any other value):
    ids compared and hashed as integers, not as Python strings."""
    numbers = np.full(len(values), -1, dtype=np.int64)
    if not len(values):
        return numbers
    # 12 characters: an id's 11, and a 12th left blank by a string no longer (longer ones are cut).
    chars = values.astype("U12").view(np.uint32).reshape(-1, 12)
    # Looked up by bytes: numpy takes from a table by uint8 indices far faster than by uint32.
    digits = _DIGIT_VALUE[np.minimum(chars[:, 1:11], 127).astype(np.uint8)]
    spelt = np.flatnonzero((chars[:, 0] == ord("T")) & (chars[:, 11] == 0) & (digits >= 0).all(1))
    # Exactly: strings only, of 11 characters (not cut at a NUL, nor another value's text).
    found = values[spelt]
    strings = np.fromiter(map(isinstance, found, repeat(str)), bool, len(found))
    spelt, found = spelt[strings], found[strings]
    spelt = spelt[np.fromiter(map(len, found), np.int64, len(found)) == 11]
    numbers[spelt] = digits[spelt].astype(np.int64) @ _DIGIT_WEIGHT
    return numbers
