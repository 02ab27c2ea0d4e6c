"""Near-identical customer names at a cost that grows with the number of names, not blocks².

Two normalised names count as the same customer when rapidfuzz's ``fuzz.ratio`` scores them
≥ 90. Rather than scoring every pair in a block, each distinct name is scored only against its
*candidates*: its neighbours in a few sort orders (at most :data:`WINDOW` after it in each), so
at most ``2 · WINDOW · (2 + RARE_GRAMS)`` candidates per name, on any distribution of names.

The orders follow from what ratio ≥ 90 allows. The Indel distance (insertions + deletions) of
names of lengths a and b is then at most (a + b) / 10, so:
- names of ≤ 4 characters only match themselves (identical names share a code, no scoring);
- names of < 20 characters together match only one character apart (distance 1): found
  exactly, with no score and no sort order, by hashing each name of ≤ :data:`_DROPPED_UP_TO`
  characters less each of its characters and looking the hashes up among the shorter names'
  (at most that many pairs per name; any such pair scores ≥ 90). This is what catches a change
  in the middle of names alike at both ends and in every bigram (测试194153 / 测试19453,
  广东省鼎电子 / 广东省鼎信电子);
- in longer pairs, lengths are close (b ≤ 1.23 a) and a name keeps most of its characters and
  bigrams:
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
from collections.abc import Callable
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
_GRAM_BITS = 20  # bits a bigram is hashed into
_NO_GRAM = 1 << _GRAM_BITS  # the hash of no bigram (past a name's end)
_GRAM_BLOCK = 1 << 18  # names whose bigrams are ranked at once
_SCORE_BATCH = 1 << 20  # pairs scored per rapidfuzz call, so the name lists stay small
# Two names of ≤ 19 characters together are at Indel distance ≤ 1 if they match: one is the other
# less a character, a pair found exactly (:func:`_dropped_pairs`); only longer pairs are scored.
_SCORED_FROM = 20  # characters of a pair of names, together, from which it is scored
_DROPPED_UP_TO = _SCORED_FROM // 2  # longest name filed under each of its deletions
_HASH_BASE = 0x9E3779B97F4A7C15  # odd: invertible modulo 2⁶⁴, so a character can be taken out
_HASH_INVERSE = pow(_HASH_BASE, -1, 1 << 64)
_TABLE_SPARSENESS = 4  # the look-up table has 2⁴ times as many places as it holds names, at least


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
# The same over many names joined by NUL: NUL is kept (it ends a name) and '_' is first made
# another noise character that no suffix can take in (see :func:`normalise_names`).
_SEPARATOR = "\x00"
_JOINED_DROP = re.compile(
    rf"(?=(?i:[股有集公cil])|[^\w{_SEPARATOR}])"
    rf"(?:(?i:{_COMPANY_SUFFIX.pattern})|[^\w{_SEPARATOR}]+)"
)


def normalise_names(names: np.ndarray) -> np.ndarray:
    """Company or person names reduced to what identifies them (no legal suffix, no punctuation)."""
    # One pass over the joined text, not three calls per name: NUL stops NFKC composition,
    # is not case-ignorable (final sigma) and is no suffix's character, so each name comes out
    # as it would alone. A name holding NUL itself (no file can) is done one by one.
    joined = _SEPARATOR.join(names.tolist())
    if joined.count(_SEPARATOR) != len(names) - 1:
        each = map(str.lower, map(partial(unicodedata.normalize, "NFKC"), names))
        return np.fromiter(map(_NAME_DROP.sub, repeat(""), each), dtype=object, count=len(names))
    folded = unicodedata.normalize("NFKC", joined).lower().replace("_", "\x01")
    out = np.empty(len(names), dtype=object)
    out[:] = _JOINED_DROP.sub("", folded).split(_SEPARATOR)
    return out


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

    def __reduce__(self) -> tuple[Callable[..., NameKeys], tuple[object, ...]]:
        """Pickled with the names as one text, NUL between them: a full sheet's keys are pickled
        in ≈ 0.2 s of the job's own CPU instead of 0.6 (its million names one by one)."""
        names: object = self.names
        try:
            joined = _SEPARATOR.join(self.names.tolist())
        except TypeError:  # not all texts: pickled as they are
            pass
        else:
            if joined.count(_SEPARATOR) == len(self.names) - 1:  # none holds NUL itself
                names = joined
        fields = (self.rows, names, self.city_codes, self.cities, self.contact_codes)
        return _unpickled_keys, (*fields, self.contacts)


def _unpickled_keys(rows: np.ndarray, names: np.ndarray | str, *codes: np.ndarray) -> NameKeys:
    """Name keys back from :meth:`NameKeys.__reduce__` (names joined by NUL, or as they were)."""
    if isinstance(names, str):
        texts = np.empty(len(rows), dtype=object)
        texts[:] = names.split(_SEPARATOR)
        names = texts
    return NameKeys(rows, names, *codes)


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


def _key_points(texts: list[str]) -> np.ndarray:
    """The first :data:`_KEY_CHARS` code points of each text, zero-padded, one row per text."""
    width = min(max(map(len, texts), default=1), _KEY_CHARS)
    fixed = np.array(texts, dtype=f"U{max(width, 1)}")  # longer texts are cut
    return fixed.view(np.uint32).reshape(len(texts), -1)


def _order(points: np.ndarray) -> np.ndarray:
    """Row numbers in the lexicographic order of the rows (as code points)."""
    # Viewed as fixed-width unicode, a row compares as its code points do: numpy's fastest sort.
    return np.argsort(np.ascontiguousarray(points).view(f"U{points.shape[1]}").ravel())


def _may_match(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether two different names of lengths ``a`` and ``b`` may have a ratio ≥ 90 and are long
    enough together to be scored (shorter pairs are found without a score), pair by pair."""
    # Their Indel distance is ≥ the difference of lengths, and the ratio needs 10 · distance ≤
    # the sum (names of one length are ≥ 2 apart: ≥ 20 characters together, as scored pairs).
    total = a + b
    ok: np.ndarray = (10 * np.abs(a - b) <= total) & (total >= _SCORED_FROM)
    return ok


def _window_pairs(
    order: np.ndarray, lengths: np.ndarray, groups: np.ndarray | None = None
) -> list[np.ndarray]:
    """Each item of ``order`` with the :data:`WINDOW` after it (in its group) whose lengths may
    match, as two arrays."""
    pairs: list[np.ndarray] = []
    sizes = lengths[order]  # gathered once: each step compares neighbours in place
    for step in range(1, min(WINDOW, len(order) - 1) + 1):
        first, second = order[:-step], order[step:]
        keep = _may_match(sizes[:-step], sizes[step:]) & (first != second)
        if groups is not None:
            keep &= groups[:-step] == groups[step:]
        pairs += [first[keep], second[keep]]
    return pairs


def _gram_hashes(points: np.ndarray) -> np.ndarray:
    """Each row's bigrams hashed into :data:`_GRAM_BITS` bits; :data:`_NO_GRAM` past its end."""
    first, second = points[:, :-1], points[:, 1:]
    # Multiplicative hashing (wrapping uint32): a collision only merges two bigrams' lists.
    hashed: np.ndarray = (first * np.uint32(0x9E3779B1) + second) * np.uint32(0x85EBCA77)
    hashed >>= np.uint32(32 - _GRAM_BITS)
    hashed[second == 0] = _NO_GRAM
    return hashed


def _rare_gram_pairs(
    points: np.ndarray, lengths: np.ndarray, forward: np.ndarray
) -> list[np.ndarray]:
    """Window pairs among the names filed under each of their rarest bigrams (``forward``: the
    names in sorted order)."""
    if points.shape[1] < 2:
        return []
    counts = np.zeros(_NO_GRAM + 1, np.int64)
    blocks = range(0, len(points), _GRAM_BLOCK)  # rows at once: the temporaries stay small
    for start in blocks:
        counts += np.bincount(
            _gram_hashes(points[start : start + _GRAM_BLOCK]).ravel(), minlength=len(counts)
        )
    counts[_NO_GRAM] = 1 << 38  # past a name's end: after every bigram (still < 2⁶³ shifted)
    take = min(RARE_GRAMS, points.shape[1] - 1)
    chosen = np.empty((len(points), take), np.int64)
    for start in blocks:
        hashed = _gram_hashes(points[start : start + _GRAM_BLOCK])
        # Rarest first; a name's own ties are broken by the bigram, the same way in every name.
        rarity = counts[hashed] << (_GRAM_BITS + 1) | hashed
        # A sort of rows this short is faster than numpy's partition.
        chosen[start : start + len(hashed)] = np.sort(rarity, axis=1)[:, :take]
    rank = np.empty((len(points), 1), np.int64)
    rank[forward, 0] = np.arange(len(points))
    # In each bigram's list, names in sorted order: close names are neighbours there too. One
    # key holds both (bigram, then rank); sorting the keys themselves is twice as fast as argsort,
    # and the places past a name's end sort last, to be cut off.
    bits = len(points).bit_length()
    keys = np.sort(((chosen & ((1 << (_GRAM_BITS + 1)) - 1)) << bits | rank).ravel())
    keys = keys[: np.searchsorted(keys, _NO_GRAM << bits)]
    return _window_pairs(forward[keys & ((1 << bits) - 1)], lengths, keys >> bits)


def _prefix_hashes(columns: np.ndarray) -> np.ndarray:
    """Polynomial hashes (modulo 2⁶⁴: numpy wraps) of names' first 0, 1, … characters, a row per
    count (``columns``: the names' code points, a row per place, a column per name)."""
    powers = np.full(len(columns), _HASH_BASE, np.uint64)
    powers[0] = 1
    powers = np.cumprod(powers)
    hashes = np.zeros((len(columns) + 1, columns.shape[1]), np.uint64)
    # Place by place over every name at once: a cumulative sum along each name's few
    # characters is several times slower.
    for place, points in enumerate(columns):
        np.multiply(points, powers[place], out=hashes[place + 1])
        hashes[place + 1] += hashes[place]
    return hashes


def _columns(points: np.ndarray, rows: np.ndarray, width: int) -> np.ndarray:
    """The first ``width`` code points of the names at ``rows``, a row per place (64-bit)."""
    return np.ascontiguousarray(points[rows, :width].T, dtype=np.uint64)


def _dropped_pairs(points: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (shorter, longer) of short names where the shorter is the longer less one character:
    a ratio ≥ 90 whenever the shorter has ≥ 5 characters (2n / (2n + 1)), so no score is needed.
    Each name of at most :data:`_DROPPED_UP_TO` characters is filed under each of its deletions;
    a pair is charged to its longer name, so there are at most that many pairs per name."""
    width = min(points.shape[1], _DROPPED_UP_TO)
    taking_part = np.flatnonzero(lengths <= width)  # longer names take no part
    if not len(taking_part):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    sizes = lengths[taking_part]
    blocks = range(0, len(taking_part), _GRAM_BLOCK)  # names at once: the temporaries stay small
    whole = np.concatenate(
        [
            _prefix_hashes(_columns(points, taking_part[at : at + _GRAM_BLOCK], width))[-1]
            for at in blocks
        ]
    )
    shorter = np.flatnonzero(sizes < width)
    order = np.argsort(whole[shorter])
    known = whole[shorter][order]
    # A table by a hash's top bits, of the shorter name whose hash is there (its place in
    # ``known``, + 1), -1 where several are, 0 where none is: most deletions matching no name
    # are passed over there, most others found with no search.
    bits = len(known).bit_length() + _TABLE_SPARSENESS
    top = np.uint64(64 - bits)
    slots = known >> top
    shared = np.zeros(len(known), bool)
    shared[1:] = slots[1:] == slots[:-1]
    shared[:-1] |= shared[1:]
    table = np.zeros(1 << bits, np.int32)
    table[slots] = np.where(shared, -1, np.arange(1, len(known) + 1, dtype=np.int32))
    names_known = taking_part[shorter[order]]  # the name of each hash in ``known``
    found: list[np.ndarray] = []  # per block: the shorter name, the longer, the character dropped
    for start in blocks:
        columns = _columns(points, taking_part[start : start + _GRAM_BLOCK], width)
        size = sizes[start : start + _GRAM_BLOCK]
        prefix = _prefix_hashes(columns)
        # A name less its character i: prefix(i) + (whole − prefix(i + 1)) / base.
        dropped = prefix[:-1] + (prefix[-1] - prefix[1:]) * np.uint64(_HASH_INVERSE)
        slot = table[dropped >> top]
        # Within the name, once per run of equal characters (dropping any of them is the same).
        valid = (np.arange(width)[:, None] < size) & (size > _SHORTEST) & (slot != 0)
        valid[1:] &= columns[1:] != columns[:-1]
        # Name by name, then character by character: the pairs come out in the names' order.
        row, at = np.nonzero(valid.T)
        hashes, place = dropped[at, row], slot[at, row]
        several = np.flatnonzero(place < 0)
        place[several] = np.searchsorted(known, hashes[several]) + 1
        place = np.minimum(place, len(known)) - 1
        hit = known[place] == hashes
        # Kept small (a full sheet of names sharing a prefix has 5 million): one byte for ``at``.
        found += [names_known[place[hit]], taking_part[row[hit] + start], at[hit].astype(np.int8)]
    short, longer, at = (np.concatenate(found[part::3]) for part in range(3))
    del found
    points = points[:, :width]
    same = np.empty(len(short), bool)
    for start in range(0, len(short), _GRAM_BLOCK):
        part = slice(start, start + _GRAM_BLOCK)
        # Checked character by character (hashes may collide): the longer less ``at`` is the
        # shorter.
        rows = points[longer[part]]
        kept = np.where(np.arange(width - 1) < at[part, None], rows[:, :-1], rows[:, 1:])
        same[part] = (kept == points[short[part], :-1]).all(axis=1)
    same &= lengths[short] + 1 == lengths[longer]
    return short[same], longer[same]


def _candidates(names: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of distinct names (as indexes, first < second) worth scoring, each once; then the
    pairs (shorter, longer) known to match without a score: one is the other less a character."""
    lengths = np.fromiter(map(len, names), np.int32, len(names))
    long = np.flatnonzero(lengths >= _SHORTEST)
    if len(long) < 2:
        return (np.empty(0, np.int64),) * 4
    long_lengths = lengths[long]
    texts = names[long].tolist()
    points = _key_points(texts)
    short, longer = (long[side] for side in _dropped_pairs(points, long_lengths))
    # Short names stay in the orders, though none of their pairs is scored there: taken out,
    # their places in the windows go to pairs of long names, and scoring those costs more (a
    # full sheet of `current` names: 10.6 s of CPU instead of 7.2).
    forward = _order(points)
    pairs = _window_pairs(forward, long_lengths)
    # Each name backwards (its last :data:`_KEY_CHARS` characters): a typo near the start.
    pairs += _window_pairs(_order(_key_points([text[::-1] for text in texts])), long_lengths)
    pairs += _rare_gram_pairs(points, long_lengths, forward)
    first, second = (long[np.concatenate(pairs[side::2])] for side in (0, 1))
    low, high = np.minimum(first, second), np.maximum(first, second)
    # Sorted, not hashed: as fast, and pairs scored in order read their names in order.
    pair = np.sort(low * len(names) + high)
    low, high = np.divmod(pair[np.diff(pair, prepend=-1) != 0], len(names))
    return low, high, short, longer


def _close_pairs(names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of names that score ≥ 90, each once."""
    first, second, short, longer = _candidates(names)
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
    return np.concatenate([first[keep], short]), np.concatenate([second[keep], longer])


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
    # Each distinct name normalised and numbered once; rows take their numbers from it.
    norm_codes, uniques = pd.factorize(normalise_names(np.asarray(distinct, dtype=object)))
    names = np.asarray(uniques, dtype=object)
    name_codes = norm_codes[codes]
    keep = (names != "")[name_codes]
    if not keep.any():
        return pd.Series(dtype=np.int64)
    cluster = _name_clusters(names)[name_codes[keep]]
    rows = keys.rows[keep]
    found = []
    # Cities and contacts compared by their codes (into distinct texts): no text hashed again.
    for all_codes, texts in ((keys.city_codes, keys.cities), (keys.contact_codes, keys.contacts)):
        other = all_codes[keep]
        present = (texts != "")[other]
        found.append(
            first_rows(cluster[present] * (len(texts) + 1) + other[present], rows[present])
        )
    return pd.concat(found).groupby(level=0).min()
