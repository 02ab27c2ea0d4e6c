"""Customer name lists of the shapes that make near-identical-name matching hard, for benchmarks
and tests: names sharing a long prefix, personal names (a few surnames are 7 % each), company
names starting with a province or city spelt unlike the city column, English names that all
start alike, and the demo's own names — each with near-duplicates planted (typos, characters
added or dropped, legal-suffix variants, spaces)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .check.similar_names import NameKeys
from .demo import CUSTOMER_HEADERS, build_demo

__all__ = ["KINDS", "NameSample", "sample_names"]

KINDS = ("demo", "prefix", "people", "companies", "english")

# Surnames with their share of China's population (percent, 2020 census), the rest spread thin.
_SURNAMES = {
    "王": 7.1, "李": 7.0, "张": 6.7, "刘": 5.4, "陈": 4.5, "杨": 3.1, "黄": 2.2, "赵": 2.0,
    "吴": 2.0, "周": 1.9, "徐": 1.5, "孙": 1.5, "马": 1.3, "朱": 1.3, "胡": 1.2, "郭": 1.2,
    "何": 1.1, "林": 1.0, "高": 1.0, "罗": 0.9, "郑": 0.9, "梁": 0.9, "谢": 0.7, "宋": 0.6,
    "唐": 0.6, "许": 0.6, "韩": 0.6, "冯": 0.6, "邓": 0.6, "曹": 0.5, "欧阳": 0.1, "诸葛": 0.01,
}  # fmt: skip
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰文斌浩宇晨欣怡子轩梓涵俊"
# City column values, with the ways a company name may begin for each (province, city, "市").
_PLACES = {
    "杭州": ("浙江", "浙江省", "杭州市", "浙江杭州", "杭州"),
    "宁波": ("浙江", "浙江省", "宁波市", "浙江宁波", "宁波"),
    "南京": ("江苏", "江苏省", "南京市", "江苏南京", "南京"),
    "苏州": ("江苏", "江苏省", "苏州市", "江苏苏州", "苏州"),
    "广州": ("广东", "广东省", "广州市", "广东广州", "广州"),
    "深圳": ("广东", "广东省", "深圳市", "广东深圳", "深圳"),
}
_BRAND = "华信恒通瑞丰金鼎宏达鑫源天成锦程博远正泰新宇联创盛世汇永安嘉禾中和明德东方长江凯越百川"
_TRADES = ("科技", "贸易", "机械", "电子", "服饰", "建材", "物流", "化工", "家居", "农业")
_LEGAL = ("有限公司", "有限责任公司", "股份有限公司", "")
_FIRST = ("John", "Mary", "James", "Linda", "Robert", "Susan", "Michael", "Karen", "David", "Anna")
_LAST = ("Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor")
_WORDS = ("Golden", "River", "Star", "Bright", "Ocean", "Green", "Silver", "Eagle", "Summit")
_THINGS = ("Trading", "Foods", "Logistics", "Software", "Textiles", "Motors", "Supplies")
_TITLES = ("Mr", "Mrs", "Ms", "Dr", "The")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_TWINS = 0.05  # share of rows that re-enter an earlier customer under a variant of its name


@dataclass(frozen=True)
class NameSample:
    """Names with the city and contact of each row (object arrays of equal length)."""

    names: np.ndarray
    cities: np.ndarray
    contacts: np.ndarray

    def keys(self) -> NameKeys:
        """What the matcher reads, rows numbered from 2 as under a header row."""
        city_codes, cities = pd.factorize(self.cities)
        contact_codes, contacts = pd.factorize(self.contacts)
        return NameKeys(
            np.arange(2, 2 + len(self.names)),
            self.names,
            city_codes,
            np.asarray(cities, dtype=object),
            contact_codes,
            np.asarray(contacts, dtype=object),
        )


def _pick(rng: np.random.Generator, items: tuple[str, ...] | str, count: int) -> np.ndarray:
    return np.asarray(list(items), dtype=object)[rng.integers(0, len(items), count)]


def _people(rng: np.random.Generator, count: int) -> np.ndarray:
    surnames = np.asarray(list(_SURNAMES), dtype=object)
    weights = np.asarray(list(_SURNAMES.values()))
    surname = surnames[rng.choice(len(surnames), count, p=weights / weights.sum())]
    second = np.where(rng.random(count) < 0.7, _pick(rng, _GIVEN, count), "")
    people: np.ndarray = surname + _pick(rng, _GIVEN, count) + second
    return people


def _typo(rng: np.random.Generator, name: str, alphabet: str) -> str:
    """The name with one change: a character replaced, added or dropped, a space, a suffix."""
    at = int(rng.integers(0, len(name) + 1))
    char = alphabet[int(rng.integers(0, len(alphabet)))]
    change = int(rng.integers(0, 6))
    if change == 0:
        return name[:at] + char + name[at + 1 :]
    if change == 1:
        return name[:at] + char + name[at:]
    if change == 2 and len(name) > 1:
        return name[: max(at - 1, 0)] + name[at:]
    if change == 3:
        return name[:at] + " " + name[at:]
    for old, new in (
        ("有限公司", "有限责任公司"),
        ("有限责任公司", "有限公司"),
        (" Ltd", " Co., Ltd"),
    ):
        if name.endswith(old):
            return name[: -len(old)] + new
    return name + ("有限公司" if alphabet is _BRAND else " Inc")


def _plant_twins(rng: np.random.Generator, sample: NameSample, alphabet: str) -> NameSample:
    """Re-enter earlier rows under changed names, in their city, some with their contact."""
    names, cities, contacts = sample.names.copy(), sample.cities.copy(), sample.contacts.copy()
    twins = np.flatnonzero(rng.random(len(names)) < _TWINS)
    twins = twins[twins > 0]
    of = (rng.random(len(twins)) * twins).astype(np.int64)
    # A loop per planted twin: generating data, not matching it.
    names[twins] = [_typo(rng, names[o], alphabet) for o in of]
    cities[twins] = cities[of]
    same_contact = rng.random(len(twins)) < 0.5
    contacts[twins[same_contact]] = contacts[of[same_contact]]
    return NameSample(names, cities, contacts)


def _demo(count: int, seed: int) -> NameSample:
    """The demo workbook's names, cities and contacts (the demo plants its own duplicates)."""
    demo = build_demo(max(count, 100), seed)  # the demo plants its mess in 100 rows or more
    rows = [row for row in demo.customers if row is not None][:count]
    column = {header: i for i, header in enumerate(CUSTOMER_HEADERS)}

    def texts(header: str) -> np.ndarray:
        return np.asarray([row[column[header]] or "" for row in rows], dtype=object)

    return NameSample(texts("客户名称"), texts("城市"), texts("联系人"))


def sample_names(kind: str, count: int, seed: int = 0) -> NameSample:
    """``count`` rows of names of one kind (see :data:`KINDS`), near-duplicates planted."""
    if kind == "demo":
        return _demo(count, seed)
    rng = np.random.default_rng(seed)
    contacts = _people(rng, count)
    if kind == "prefix":
        numbers = rng.permutation(np.arange(1, 1_048_576))[:count]
        cities = _pick(rng, ("杭州", "宁波", "温州"), count)
        names = "测试公司" + numbers.astype(str).astype(object)
        alphabet = "0123456789"
    elif kind == "people":
        cities = _pick(rng, tuple(_PLACES), count)
        names, alphabet = _people(rng, count), _GIVEN
    elif kind == "companies":
        place = rng.integers(0, len(_PLACES), count)
        cities = np.asarray(list(_PLACES), dtype=object)[place]
        starts = np.asarray(list(_PLACES.values()), dtype=object)
        start = starts[place, rng.integers(0, starts.shape[1], count)]
        brand = _pick(rng, _BRAND, count) + _pick(rng, _BRAND, count)
        trade = _pick(rng, _TRADES, count)
        names = start + brand + trade + _pick(rng, _LEGAL, count)
        alphabet = _BRAND
    elif kind == "english":
        cities = _pick(rng, ("London", "Leeds", "Bristol"), count)
        title = _pick(rng, _TITLES, count)
        person = title + " " + _pick(rng, _FIRST, count) + " " + _pick(rng, _LAST, count)
        firm = "The " + _pick(rng, _WORDS, count) + " " + _pick(rng, _THINGS, count) + " Ltd"
        names = np.where(title == "The", firm, person).astype(object)
        alphabet = _LETTERS
    else:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return _plant_twins(rng, NameSample(names, cities, contacts), alphabet)
