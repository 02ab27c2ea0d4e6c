"""Duplicate customers: the same ID, mobile or e-mail as an earlier row, or a near-identical name
at the same contact person or city (fuzzy matching within small blocks of names)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import partial
from itertools import repeat

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from ..book.base import CustomerTable
from ..contacts import cell_texts
from .problems import Collector, filled

__all__ = ["NameKeys", "check_duplicates", "name_keys", "near_names", "role_texts"]

_NAME_SCORE = 90  # rapidfuzz ratio at or above which two normalised names count as the same
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


def _normalise_names(names: np.ndarray) -> np.ndarray:
    """Company or person names reduced to what identifies them (no legal suffix, no punctuation)."""
    folded = map(str.lower, map(partial(unicodedata.normalize, "NFKC"), names))
    return np.fromiter(map(_NAME_DROP.sub, repeat(""), folded), dtype=object, count=len(names))


def _first_rows(codes: np.ndarray, rows: np.ndarray) -> pd.Series:
    """For rows sharing a code, the first row with that code, indexed by each later row."""
    first = pd.Series(rows).groupby(codes, sort=False).transform("min").to_numpy()
    later = first != rows
    return pd.Series(first[later], index=rows[later], dtype=np.int64)


def _first_of_groups(keys: pd.Series) -> pd.Series:
    """For rows sharing a non-blank key, the first row with that key, indexed by each later row."""
    present = (keys != "").to_numpy(dtype=bool)
    codes, _ = pd.factorize(keys.to_numpy(dtype=object)[present])
    return _first_rows(codes, keys.index.to_numpy()[present])


def role_texts(frame: pd.DataFrame, role: str) -> pd.Series:
    """A role's column as stripped text ('' where blank, or for every row if there is none)."""
    if role not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return cell_texts(frame[role], lambda v: "" if v != v else str(v).strip())


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
            score_cutoff=_NAME_SCORE,
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


def near_names(keys: NameKeys) -> pd.Series:
    """For rows whose name is near-identical to an earlier row's at the same contact or city,
    the first such row, indexed by row (ascending)."""
    codes, distinct = pd.factorize(keys.names)
    norm = _normalise_names(distinct)[codes] if len(distinct) else np.array([], dtype=object)
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
        found.append(_first_rows(codes, rows[present]))
    return pd.concat(found).groupby(level=0).min()


def check_duplicates(
    table: CustomerTable,
    out: Collector,
    text: dict[str, pd.Series],
    mobile: pd.Series,
    kind: pd.Series,
    email: pd.Series,
    similar: pd.Series | None,
) -> None:
    """Rows matching an earlier row by ID, mobile, e-mail or name (``similar``: names matched)."""
    frame = table.frame
    criteria: list[tuple[str, str, str, pd.Series]] = []
    if "id" in frame.columns:
        criteria.append(("id", "客户编号相同", "same customer ID", _first_of_groups(text["id"])))
    if "mobile" in frame.columns:
        criteria.append(
            (
                "mobile",
                "手机相同",
                "same mobile",
                _first_of_groups(mobile.where(kind == "mobile", "")),
            )
        )
    if "email" in frame.columns:
        criteria.append(("email", "邮箱相同", "same email", _first_of_groups(email)))
    criteria.append(
        (
            "name",
            "名称相近",
            "a near-identical name",
            near_names(name_keys(frame, text["name"])) if similar is None else similar,
        )
    )
    rows = np.unique(np.concatenate([found.index.to_numpy() for *_, found in criteria]))
    # One row per criterion: the first row it matches (a sentinel where it matches none).
    heads = np.full((len(criteria), len(rows)), np.iinfo(np.int64).max)
    for heads_of, (*_, found) in zip(heads, criteria, strict=True):
        heads_of[np.searchsorted(rows, found.index.to_numpy())] = found.to_numpy()
    head = heads.min(axis=0)
    matched = heads == head
    # Which criteria name the earliest row, as bits: one text per combination, not per row.
    combination = (matched * (1 << np.arange(len(criteria)))[:, None]).sum(axis=0)
    problem = np.empty(len(rows), dtype=object)
    for bits in np.unique(combination):
        chosen = [c for i, c in enumerate(criteria) if bits >> i & 1]
        zh = "、".join(c[1] for c in chosen)
        en = " and ".join(c[2] for c in chosen)
        at = combination == bits
        problem[at] = filled(
            f"与第 {{}} 行{zh}，可能是重复客户",
            f"{en} as row {{}}: probably a duplicate customer",
            head[at],
        )
    out.add(
        rows,
        np.array([c[0] for c in criteria], dtype=object)[matched.argmax(axis=0)],
        "duplicate",
        (
            problem,
            filled(
                "与第 {} 行核对后合并或删除一行",
                "compare with row {}, then merge or delete one of them",
                head,
            ),
        ),
    )
