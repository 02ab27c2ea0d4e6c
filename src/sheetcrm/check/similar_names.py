"""Near-identical customer names at a cost that grows with the number of names, not blocks².

Two normalised names count as the same customer when rapidfuzz's ``fuzz.ratio`` scores them
≥ 90. Rather than scoring every pair in a block, each distinct name is scored only against its
*candidates*: its neighbours in a few sort orders (at most :data:`WINDOW` after it in each), so
at most ``2 · WINDOW · (2 + RARE_GRAMS)`` candidates per name, on any distribution of names.

The orders follow from what ratio ≥ 90 allows. The Indel distance (insertions + deletions) of
names of lengths a and b is then at most (a + b) / 10, so:
- names of ≤ 4 characters only match themselves (identical names share a code, no scoring);
- lengths are close (b ≤ 1.23 a), and a name keeps most of its characters and bigrams:
- a typo near the end leaves a long shared prefix: neighbours in the names' sorted order;
- a typo near the start leaves a long shared suffix: neighbours in the reversed names' order;
- a typo in the middle leaves most bigrams intact: each name is also filed under its
  :data:`RARE_GRAMS` rarest bigrams (over the whole list), where a rare bigram holds few names,
  and neighbours are taken among the names filed under the same bigram, in sorted order.
Then the clusters (names joined by a score ≥ 90) and the confirmation (an earlier row of the
cluster shares the city or the contact) are today's.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import partial
from itertools import repeat

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from .rows import first_rows, role_texts

__all__ = [
    "NAME_SCORE",
    "RARE_GRAMS",
    "WINDOW",
    "NameKeys",
    "name_keys",
    "near_names",
    "normalise_names",
]

WINDOW = 4  # names after each name, in each order, that it is scored against
RARE_GRAMS = 3  # bigrams per name it is filed under: its rarest in the whole list
_SHORTEST = 5  # a name this long or longer can match a different name at ratio ≥ 90
_KEY_CHARS = 24  # characters of a name its sort keys and bigrams are taken from
_SCORE_BATCH = 1 << 20  # pairs scored per rapidfuzz call, so the name lists stay small


NAME_SCORE = 90  # rapidfuzz ratio at or above which two normalised names count as the same
_COMPANY_SUFFIX = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团|公司|co\.?,?\s*ltd\.?|inc\.?|ltd\.?|llc\.?)",
    re.IGNORECASE,
)
_NAME_NOISE = re.compile(r"[\W_]+")
# Both in one pass: suffixes start with a word character, so noise never hides one. The lookahead
# names every character a match can start with, so most positions are passed over at once.
_NAME_DROP = re.compile(
    rf"(?=(?i:[股有集公cil])|[\W_])(?:(?i:{_COMPANY_SUFFIX.pattern})|{_NAME_NOISE.pattern})"
)


def normalise_names(names: np.ndarray) -> np.ndarray:
    """Company or person names reduced to what identifies them (no legal suffix, no punctuation)."""
    folded = map(str.lower, map(partial(unicodedata.normalize, "NFKC"), names))
    return np.fromiter(map(_NAME_DROP.sub, repeat(""), folded), dtype=object, count=len(names))


@dataclass(frozen=True)
class NameKeys:
    """What finding near-identical names needs: name, city and contact texts (the last two as
    codes into their distinct values: compact to send to a worker process), by row."""

    rows: np.ndarray
    names: np.ndarray
    city_codes: np.ndarray
    cities: np.ndarray
    contact_codes: np.ndarray
    contacts: np.ndarray


def name_keys(frame: pd.DataFrame, names: pd.Series | None = None) -> NameKeys:
    """The name keys of a customer frame (``names``: its name column as text, if at hand)."""
    if names is None:
        names = role_texts(frame, "name")
    city_codes, cities = pd.factorize(role_texts(frame, "city").to_numpy(dtype=object))
    contact_codes, contacts = pd.factorize(role_texts(frame, "contact").to_numpy(dtype=object))
    return NameKeys(
        frame.index.to_numpy(),
        names.to_numpy(dtype=object),
        city_codes,
        np.asarray(cities, dtype=object),
        contact_codes,
        np.asarray(contacts, dtype=object),
    )


def _code_points(names: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The first :data:`_KEY_CHARS` code points of each name, zero-padded, one row per name."""
    width = max(int(lengths.max(initial=1)), 1)
    fixed = names.astype(f"U{width}")
    return fixed.view(np.uint32).reshape(len(names), width)


def _reversed(points: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each row's code points in reverse order, still zero-padded at the end."""
    at = lengths[:, None] - 1 - np.arange(points.shape[1])
    backwards = np.take_along_axis(points, np.maximum(at, 0), axis=1)
    backwards[at < 0] = 0
    return backwards


def _order(points: np.ndarray) -> np.ndarray:
    """Row numbers in the lexicographic order of the rows (as code points)."""
    # Viewed as fixed-width unicode, a row compares as its code points do: numpy's fastest sort.
    return np.argsort(np.ascontiguousarray(points).view(f"U{points.shape[1]}").ravel())


def _may_match(first: np.ndarray, second: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Whether two different names' lengths leave room for a ratio ≥ 90, pair by pair."""
    # Their Indel distance is ≥ the difference of lengths and has the parity of their sum, so
    # names of one length are ≥ 2 apart; and the ratio needs 10 · distance ≤ the sum.
    a, b = lengths[first], lengths[second]
    least = np.abs(a - b)
    least[least == 0] = 2
    ok: np.ndarray = (10 * least <= a + b) & (first != second)
    return ok


def _window_pairs(
    order: np.ndarray, lengths: np.ndarray, groups: np.ndarray | None = None
) -> list[np.ndarray]:
    """Each item of ``order`` with the :data:`WINDOW` after it (in its group) whose lengths may
    match, as two arrays."""
    pairs: list[np.ndarray] = []
    for step in range(1, min(WINDOW, len(order) - 1) + 1):
        first, second = order[:-step], order[step:]
        keep = _may_match(first, second, lengths)
        if groups is not None:
            keep &= groups[:-step] == groups[step:]
        pairs += [first[keep], second[keep]]
    return pairs


def _rare_gram_pairs(
    points: np.ndarray, lengths: np.ndarray, key_lengths: np.ndarray, rank: np.ndarray
) -> list[np.ndarray]:
    """Window pairs among the names filed under each of their rarest bigrams."""
    grams = points[:, :-1].astype(np.int64) << 21 | points[:, 1:]  # code points < 2²¹
    present = np.arange(grams.shape[1]) < (key_lengths - 1)[:, None]
    codes, _ = pd.factorize(grams[present])
    counts = np.bincount(codes)
    # Rarest first; a name's own ties are broken by the bigram, the same way in every name.
    rarity = np.full(grams.shape, np.iinfo(np.int64).max)
    rarity[present] = counts[codes].astype(np.int64) * (len(counts) + 1) + codes
    take = min(RARE_GRAMS, rarity.shape[1])
    chosen = np.partition(rarity, take - 1, axis=1)[:, :take]
    used = chosen != np.iinfo(np.int64).max
    names = np.broadcast_to(np.arange(len(points))[:, None], chosen.shape)[used]
    gram = chosen[used] % (len(counts) + 1)
    # In each bigram's list, names in sorted order: close names are neighbours there too.
    order = np.lexsort((rank[names], gram))
    return _window_pairs(names[order], lengths, gram[order])


def _candidates(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of distinct names (as indexes, first < second) worth scoring, each once."""
    lengths = np.strings.str_len(names.astype(np.dtypes.StringDType())).astype(np.int32)
    long = np.flatnonzero(lengths >= _SHORTEST)
    if len(long) < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    long_lengths = lengths[long]
    key_lengths = np.minimum(long_lengths, _KEY_CHARS)
    points = _code_points(names[long], key_lengths)
    forward = _order(points)
    rank = np.empty(len(long), np.int64)
    rank[forward] = np.arange(len(long))
    pairs = _window_pairs(forward, long_lengths)
    pairs += _window_pairs(_order(_reversed(points, key_lengths)), long_lengths)
    pairs += _rare_gram_pairs(points, long_lengths, key_lengths, rank)
    first, second = (long[np.concatenate(pairs[side::2])] for side in (0, 1))
    low, high = np.minimum(first, second), np.maximum(first, second)
    unique = pd.unique(low * len(names) + high)
    return np.divmod(unique, len(names))


def _close_pairs(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The candidate pairs whose names score ≥ 90."""
    first, second = _candidates(names)
    keep = np.zeros(len(first), dtype=bool)
    for start in range(0, len(first), _SCORE_BATCH):
        part = slice(start, start + _SCORE_BATCH)
        scores = process.cpdist(
            names[first[part]].tolist(),
            names[second[part]].tolist(),
            scorer=fuzz.ratio,
            score_cutoff=NAME_SCORE,
            dtype=np.uint8,
            workers=1,  # the machine's other core runs the job's own line meanwhile
        )
        keep[part] = scores > 0
    return first[keep], second[keep]


def _name_clusters(names: np.ndarray) -> np.ndarray:
    """A cluster number per distinct name: names joined by a score ≥ 90 share it."""
    # Imported here: only this step needs scipy, and it costs every other command ≈ 0.2 s.
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    first, second = _close_pairs(names)
    graph = coo_array(
        (np.ones(len(first), dtype=np.int8), (first, second)), shape=(len(names),) * 2
    )
    # int64: cluster numbers are multiplied by large counts below; scipy labels are int32.
    clusters: np.ndarray = connected_components(graph, directed=False)[1].astype(np.int64)
    return clusters


def near_names(keys: NameKeys) -> pd.Series:
    """For rows whose name is near-identical to an earlier row's at the same contact or city,
    the first such row, indexed by row (ascending)."""
    codes, distinct = pd.factorize(keys.names)
    norm = normalise_names(distinct)[codes] if len(distinct) else np.array([], dtype=object)
    keep = norm != ""
    if not keep.any():
        return pd.Series(dtype=np.int64)
    name_codes, names = pd.factorize(norm[keep])
    cluster = _name_clusters(np.asarray(names, dtype=object))[name_codes]
    cities = keys.cities[keys.city_codes[keep]]
    contacts = keys.contacts[keys.contact_codes[keep]]
    rows = keys.rows[keep]
    found = []
    for other in (cities, contacts):
        present = other != ""
        other_codes, uniques = pd.factorize(other[present])
        found.append(first_rows(cluster[present] * (len(uniques) + 1) + other_codes, rows[present]))
    return pd.concat(found).groupby(level=0).min()
