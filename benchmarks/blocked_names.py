"""The near-identical-name matcher sheetcrm used until it found candidates by sort orders: every
pair within a block (city + the name's first character after the city) scored by rapidfuzz.

Kept here as the baseline benchmarks/bench_names.py measures the new matcher against, in the
same run. It is quadratic in a block's size: on names sharing a prefix one block holds a third
of the list.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from sheetcrm.check.rows import first_rows
from sheetcrm.check.similar_names import NAME_SCORE, NameKeys, normalise_names


def _name_clusters(blocks: np.ndarray, names: np.ndarray) -> np.ndarray:
    """A cluster number per row: rows in one block whose names score ≥ 90 share it."""
    block_codes, _ = pd.factorize(blocks)
    name_codes, distinct = pd.factorize(names)
    # Each (block, name) pair is compared once, however many rows carry it.
    pairs, pair_keys = pd.factorize(block_codes * len(distinct) + name_codes)
    pair_block, pair_name = np.divmod(pair_keys, len(distinct))
    close: list[np.ndarray] = []  # pairs of (block, name) pairs that score ≥ 90, as index arrays
    order = np.argsort(pair_block, kind="stable")
    for members in np.split(order, np.flatnonzero(np.diff(pair_block[order])) + 1):
        if len(members) < 2:
            continue
        block = distinct[pair_name[members]].tolist()
        # Two lists, not one twice: rapidfuzz then scores one name against many at once (SIMD),
        # about 3× faster than its symmetric path; blocks are too small to gain from threads.
        scores = process.cdist(
            block,
            list(block),
            scorer=fuzz.ratio,
            score_cutoff=NAME_SCORE,
            dtype=np.uint8,
            workers=1,
        )
        first, second = np.divmod(np.flatnonzero(scores), len(block))
        later = first < second  # each pair once, not a name with itself
        close += [members[first[later]], members[second[later]]]
    # Imported here: only this step needs scipy, and it costs every other command ≈ 0.2 s.
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    first, second = (np.concatenate(close[side::2] or [np.empty(0, np.int64)]) for side in (0, 1))
    graph = coo_array(
        (np.ones(len(first), dtype=np.int8), (first, second)), shape=(len(pair_keys),) * 2
    )
    # int64: callers multiply cluster numbers by large counts; scipy labels are int32.
    labels = connected_components(graph, directed=False)[1].astype(np.int64)
    clusters: np.ndarray = labels[pairs]
    return clusters


def near_names(keys: NameKeys) -> pd.Series:
    """For rows whose name is near-identical to an earlier row's at the same contact or city,
    the first such row, indexed by row (ascending)."""
    codes, distinct = pd.factorize(keys.names)
    norm = normalise_names(distinct)[codes] if len(distinct) else np.array([], dtype=object)
    keep = norm != ""
    if not keep.any():
        return pd.Series(dtype=np.int64)
    norms = norm[keep]
    cities = keys.cities[keys.city_codes[keep]]
    contacts = keys.contacts[keys.contact_codes[keep]]
    rows = keys.rows[keep]
    # Blocking keeps fuzzy matching to small groups: by city and the first character of the name
    # after the city (names usually start with it), else by the name's first character. The cost:
    # a typo in that very character is left to the phone, email and exact-name checks.
    text = np.dtypes.StringDType()  # numpy's own strings: the string functions loop in C
    name_text, city_text = norms.astype(text), cities.astype(text)
    after = np.where(np.strings.startswith(name_text, city_text), np.strings.str_len(city_text), 0)
    head = np.strings.add("c:", city_text)
    head[city_text == ""] = "n:"
    blocks = np.strings.add(head, np.strings.slice(name_text, after, after + 1)).astype(object)
    cluster = _name_clusters(blocks, norms)
    found = []
    for other in (cities, contacts):
        present = other != ""
        other_codes, uniques = pd.factorize(other[present])
        codes = cluster[present] * (len(uniques) + 1) + other_codes
        found.append(first_rows(codes, rows[present]))
    return pd.concat(found).groupby(level=0).min()
