"""Sort orders of the planner's columns: texts ranked and several keys sorted by one number.

A full sheet orders millions of touches: numpy sorts integers far faster than texts or
several keys (``np.lexsort`` sorts once per key), so texts become ranks and the keys of one
order are packed into one 64-bit number wherever their spans fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..values import mostly_distinct
from .columns import numpy_texts

__all__ = ["sort_order", "text_rank"]


def text_rank(values: np.ndarray) -> np.ndarray:
    """Each value's rank in the sorted texts (equal texts, equal ranks), to sort by as a number.

    Texts are ``values.astype(str)``, compared as numpy compares them: code point by code
    point, a shorter text before its longer ones (so trailing NULs count for nothing)."""
    if len(values) > 1 and not mostly_distinct(values) and numpy_texts(values) is values:
        # Few distinct (owners, steps): each ranked once. Only when all are strings without
        # a NUL: factorize takes 1 and 1.0 for one value, and a string for its text up to a NUL.
        codes, distinct = pd.factorize(values)
        ranked: np.ndarray = text_rank(np.asarray(distinct, dtype=object))[codes]
        return ranked
    texts = values.astype(str)
    rank = np.zeros(len(texts), dtype=np.int64)
    width = texts.dtype.itemsize // 4
    if len(texts) < 2 or not width:
        return rank
    # A text as its code points, padded with zeros: numpy's order is the rows' order.
    chars = texts.view(np.uint32).reshape(len(texts), width)
    del texts
    # A column alike in every row orders nothing (told column by column: numpy stops early).
    chars = chars[:, [bool((chars[:, j] != chars[0, j]).any()) for j in range(width)]]
    if not chars.shape[1]:
        return rank
    # Each code point numbered among those present, in order: few bits a character, so a word
    # of 64 bits holds many (an ID's 8–16 characters mostly one word, sorted as one integer).
    present = np.zeros(int(chars.max()) + 1, dtype=bool)
    present[chars] = True  # (np.bincount is ten times slower)
    letter = np.cumsum(present).astype(np.uint64) - np.uint64(1)
    bits = max(int(letter[-1]).bit_length(), 1)
    per_word = 64 // bits
    words = []
    for first in range(0, chars.shape[1], per_word):
        word = np.zeros(len(rank), dtype=np.uint64)
        for column in range(first, min(first + per_word, chars.shape[1])):
            word <<= np.uint64(bits)
            word |= letter[chars[:, column]]
        words.append(word)
    del chars
    order = np.lexsort(words[::-1]) if len(words) > 1 else np.argsort(words[0])
    new = np.zeros(len(rank), dtype=bool)
    for word in words:
        ordered = word[order]
        new[1:] |= ordered[1:] != ordered[:-1]
    rank[order] = np.cumsum(new)
    return rank


def sort_order(keys: Sequence[np.ndarray], ties: np.ndarray | None = None) -> np.ndarray:
    """``np.lexsort(keys)``: the positions sorted by the last key, then the one before…, ties
    left in place; with ``ties``, ``np.lexsort((text_rank(ties), *keys))``, those values
    ranked as text only where every key ties (few rows: ranking all costs a sort).

    Integer (or whole float) keys are packed into one int64 where their spans fit 63 bits,
    then sorted once, stably; other keys are ranked first."""
    if not len(keys[0]):
        return np.empty(0, dtype=np.intp)
    numbers = [_as_integers(key) for key in keys]
    order = _key_order(numbers)
    if ties is None or len(order) < 2:
        return order
    tied = np.zeros(len(order) + 1, dtype=bool)  # row i ties with row i + 1 in that order
    tied[:-2] = np.logical_and.reduce([key[order[1:]] == key[order[:-1]] for key in numbers])
    within = tied[:-1] | np.append(False, tied[:-2])  # rows of a run of ties
    if within.any():
        run = np.cumsum(~np.append(False, tied[:-2]))[within]  # the run each tied row is in
        rows = order[within]
        order[within] = rows[np.lexsort((text_rank(ties[rows]), run))]
    return order


def _key_order(keys: Sequence[np.ndarray]) -> np.ndarray:
    """``np.lexsort(keys)`` of integer keys, by one sort of them packed where they fit."""
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    bits = 0
    for number in reversed(keys):  # the first sort key first
        low = number.min()
        width = (int(number.max()) - int(low)).bit_length()
        bits += width
        if bits > 63:
            order: np.ndarray = np.lexsort(keys)
            return order
        packed <<= width
        packed |= (number - low).astype(np.int64)
    ordered: np.ndarray = np.argsort(packed, kind="stable")
    return ordered


def _as_integers(key: np.ndarray) -> np.ndarray:
    """A sort key as integers in the same order: as it is, whole floats cast, else ranks."""
    if key.dtype.kind in "biu":
        return key.astype(np.int64) if key.dtype.kind == "b" else key
    if key.dtype.kind == "f" and bool(np.all((np.floor(key) == key) & (abs(key) <= 2**53))):
        return key.astype(np.int64)
    ranks: np.ndarray = np.unique(key, return_inverse=True)[1].reshape(-1)
    return ranks
