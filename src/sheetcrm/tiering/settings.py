"""Tiering settings: the rules, thresholds and segment names staff edit in the settings sheet."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..book.base import CellValue
from ..i18n import Lang, current_lang, tr
from ..roles import CUSTOMER_ROLES, role_info
from ..settings import Allowed, Block, BlockData, Settings, parse_general, register
from ..values import is_blank, parse_bool, parse_date, parse_number
from .rfm import CN_SEGMENTS, EN_SEGMENTS

__all__ = [
    "OPERATORS",
    "RULES",
    "SEGMENTS",
    "THRESHOLDS",
    "Rule",
    "Tier",
    "TierSettings",
    "field_label",
    "parse_tier_settings",
]

# Canonical operator → the spellings accepted in the sheet (first one is written back).
OPERATORS: dict[str, tuple[str, ...]] = {
    ">": (">", "大于"),
    ">=": (">=", "≥", "大于等于"),
    "<": ("<", "小于"),
    "<=": ("<=", "≤", "小于等于"),
    "=": ("=", "==", "等于"),
    "≠": ("≠", "!=", "<>", "不等于"),
    "between": ("between", "介于"),
    "in": ("in list", "in", "属于"),
    "contains": ("contains", "包含"),
    "blank": ("is blank", "为空"),
    "within": ("within last N days", "within", "最近N天内"),
    "older": ("more than N days ago", "older", "超过N天前"),
}
_OPERATOR_OF = {
    spelling.casefold(): op for op, spellings in OPERATORS.items() for spelling in spellings
}
_LIST_SPLIT = re.compile(r"\s*[,，、;；]\s*")
_RANGE_SPLIT = re.compile(r"\s*[,，~～]\s*")

# Scores derived by RFM that rules may use as fields.
DERIVED_FIELDS: dict[str, tuple[str, str]] = {
    "r": ("R分", "R score"),
    "f": ("F分", "F score"),
    "m": ("M分", "M score"),
}

RULES = register(
    Block(
        key="tier_rules",
        title_zh="分级规则",
        title_en="Tier rules",
        columns=(
            ("field", "字段 Field"),
            ("operator", "运算 Operator"),
            ("value", "值 Value"),
            ("points", "分数 Points"),
            ("decay", "衰减天数 Decay days"),
            ("note", "说明 Note"),
        ),
        defaults=(
            ("累计金额", ">=", 50000, 40, None, "大客户 / large account"),
            ("累计金额", "between", "10000, 50000", 20, None, "中等金额 / mid spend"),
            ("购买次数", ">=", 5, 20, None, "常客 / frequent buyer"),
            ("购买次数", "between", "2, 5", 10, None, "复购 / repeat buyer"),
            ("最近购买日期", "within last N days", 90, 20, None, "近期购买 / bought recently"),
            ("最近购买日期", "more than N days ago", 365, -20, None, "一年未购 / idle a year"),
            ("互动次数", ">=", 5, 10, 90, "互动多，90 天后衰减 / engaged, fades after 90 days"),
            ("满意度", ">=", 4, 10, None, "满意 / satisfied"),
        ),
        help=(
            "命中的规则分数相加。运算：> >= < <= = ≠ between(含下限不含上限，如 10000, 50000) "
            "in list(逗号分隔) contains, is blank, within last N days, more than N days ago；"
            "衰减天数：事实超过 N 天后每 N 天分数减半 · Points of matching rules add up; "
            "between includes the lower bound only; decay halves points every N days after N days"
        ),
        order=10,
        allowed=(("points", Allowed("number")), ("decay", Allowed("number", above=0))),
    )
)

THRESHOLDS = register(
    Block(
        key="tier_thresholds",
        title_zh="分级阈值",
        title_en="Tier thresholds",
        columns=(
            ("preset", "预设 Preset"),
            ("tier", "等级 Tier"),
            ("tier_en", "英文名 Tier (en)"),
            ("code", "代码 Code"),
            ("min_score", "最低分 Min score"),
        ),
        defaults=(
            ("b2c", "高价值客户", "High value", "A", 60),
            ("b2c", "潜力客户", "Potential", "B", 35),
            ("b2c", "普通客户", "Ordinary", "C", 15),
            ("b2c", "低价值客户", "Low value", "D", None),
            ("b2b", "战略客户", "Strategic", "A", 70),
            ("b2b", "重要客户", "Key account", "B", 45),
            ("b2b", "普通客户", "Ordinary", "C", 20),
            ("b2b", "潜力客户", "Potential", "D", None),
        ),
        help=(
            "得分 ≥ 最低分即为该等级；最低分留空的等级兜底；[general] 的 preset 选择用哪组 · "
            "score ≥ min score gives the tier; a blank min score catches the rest; "
            "general/preset picks the set"
        ),
        order=11,
        allowed=(
            ("preset", Allowed("choice", choices=("b2c", "b2b"))),
            ("min_score", Allowed("number")),
        ),
    )
)

SEGMENTS = register(
    Block(
        key="tier_segments",
        title_zh="RFM 分群名称",
        title_en="RFM segment names",
        columns=(("model", "模型 Model"), ("key", "代码 Key"), ("name", "名称 Name")),
        defaults=tuple(("8", key, zh) for key, zh, _ in CN_SEGMENTS.values())
        + tuple(("11", key, en) for key, (en, _) in EN_SEGMENTS.items()),
        help="可改名称，不要改代码 · rename segments freely; keep the keys",
        order=12,
    )
)


@dataclass(frozen=True)
class Rule:
    """One scoring rule: field (role), operator, parsed value(s), points and decay."""

    field: str
    operator: str
    values: tuple[Any, ...] = ()
    points: float = 0.0
    decay_days: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Tier:
    """A tier: its labels in both languages, code and minimum score (None: catches the rest)."""

    label_zh: str
    label_en: str
    code: str
    min_score: float | None

    def label(self, lang: Lang | None = None) -> str:
        """The label in a language (the current one by default)."""
        return self.label_en if (lang or current_lang()) == "en" else self.label_zh


@dataclass(frozen=True)
class TierSettings:
    """Everything tiering needs from the settings sheet, validated."""

    rules: tuple[Rule, ...]
    tiers: tuple[Tier, ...]  # best first
    cn_names: Mapping[str, str] = field(default_factory=dict)
    en_names: Mapping[str, str] = field(default_factory=dict)
    lang: Lang | None = None
    preset: str = "b2c"

    @staticmethod
    def default(preset: str = "b2c", lang: Lang | None = None) -> TierSettings:
        """The documented defaults of the rules, thresholds and segment names."""
        return _build(Settings(None), {}, preset, lang)


def field_label(role: str, labels: Mapping[str, str]) -> str:
    """How a rule's field is named to the user: their header, else the role's name."""
    if role in labels:
        return labels[role]
    if role in DERIVED_FIELDS:
        return tr(*DERIVED_FIELDS[role])
    info = role_info(role)
    return tr(info.zh, info.en)


def _field_names(labels: Mapping[str, str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for info in CUSTOMER_ROLES:
        for name in (info.role, info.zh, info.en, *info.aliases):
            names.setdefault(name.casefold(), info.role)
    for role, (zh, en) in DERIVED_FIELDS.items():
        for name in (role, zh, en):
            names[name.casefold()] = role
    # The table's own headers win over the generic names.
    names.update({header.strip().casefold(): role for role, header in labels.items()})
    return names


def _parse_rule(
    data: BlockData, row: int, rec: dict[str, CellValue], names: dict[str, str]
) -> Rule:
    def fail(column: str, message: str) -> Exception:
        return data.error(row, column, message)

    text = str(rec["field"]).strip()
    role = names.get(text.casefold())
    if role is None:
        allowed = "、".join(sorted({n for n in names.values()}))
        raise fail(
            "field",
            tr(
                f"字段 '{text}' 不是客户表的列；请写表头文字或以下之一：{allowed}",
                f"field '{text}' is not a column of the customer table; use its header text or one of: {allowed}",
            ),
        )
    op_text = "" if is_blank(rec["operator"]) else str(rec["operator"]).strip()
    op = _OPERATOR_OF.get(op_text.casefold())
    if op is None:
        allowed = ", ".join(spellings[0] for spellings in OPERATORS.values())
        raise fail(
            "operator",
            tr(
                f"运算 '{op_text}' 无效；可用：{allowed}",
                f"operator '{op_text}' is not valid; use one of: {allowed}",
            ),
        )
    kind = "integer" if role in DERIVED_FIELDS else role_info(role).kind
    values = _parse_values(
        op, kind, rec["value"], lambda msg: fail("value", msg), lambda msg: fail("operator", msg)
    )
    points = _number(rec["points"], lambda msg: fail("points", msg), tr("分数", "points"))
    decay = None
    if not is_blank(rec["decay"]):
        decay = _number(rec["decay"], lambda msg: fail("decay", msg), tr("衰减天数", "decay days"))
        if decay <= 0:
            raise fail(
                "decay", tr("衰减天数须大于 0 或留空", "decay days must be above 0 or blank")
            )
    note = "" if is_blank(rec["note"]) else str(rec["note"]).strip()
    return Rule(role, op, values, points, decay, note)


def _number(value: CellValue, fail: Any, what: str) -> float:
    try:
        number = parse_number(value)
    except ValueError as exc:
        number, reason = None, str(exc)
    else:
        reason = tr("为空", "it is blank")
    if number is None:
        raise fail(tr(f"{what}须为数字（{reason}）", f"{what} must be a number ({reason})"))
    return number


def _scalar(kind: str, value: CellValue, fail: Any) -> Any:
    if kind in ("number", "integer"):
        return _number(value, fail, tr("值", "value"))
    if kind == "date":
        try:
            parsed = parse_date(value)
        except ValueError as exc:
            raise fail(tr(f"值须为日期：{exc}", f"value must be a date: {exc}")) from None
        if parsed is None:
            raise fail(tr("值须为日期，如 2026-03-05", "value must be a date such as 2026-03-05"))
        return parsed
    if kind == "bool":
        try:
            return parse_bool(value)
        except ValueError as exc:
            raise fail(str(exc)) from None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if is_blank(value) else str(value).strip()


def _parse_values(
    op: str, kind: str, value: CellValue, fail: Any, fail_operator: Any
) -> tuple[Any, ...]:
    if op == "blank":
        return ()
    if op in ("within", "older"):
        if kind != "date":
            raise fail_operator(tr(f"'{op}' 只能用于日期列", f"'{op}' works on date columns only"))
        days = _number(value, fail, tr("天数", "days"))
        if days < 0:
            raise fail(tr("天数须 ≥ 0", "days must be 0 or more"))
        return (days,)
    if op in ("in", "contains"):
        parts = [p for p in _LIST_SPLIT.split(str(value if value is not None else "").strip()) if p]
        if not parts:
            raise fail(
                tr(
                    "请填写要匹配的文字（多个用逗号分隔）",
                    "give the text to match (comma separated)",
                )
            )
        return tuple(p.casefold() for p in parts)
    if op == "between":
        if kind not in ("number", "integer", "date"):
            raise fail_operator(
                tr("between 只能用于数字或日期列", "between works on number or date columns only")
            )
        parts = _RANGE_SPLIT.split(str(value).strip()) if isinstance(value, str) else []
        if len(parts) != 2:
            raise fail(
                tr(
                    f"between 需要两个值，用逗号分隔，如 10000, 50000（现在是 '{value}'）",
                    f"between needs two values separated by a comma, e.g. 10000, 50000 (not '{value}')",
                )
            )
        low, high = (_scalar(kind, p, fail) for p in parts)
        return (low, high)
    if op in (">", ">=", "<", "<=") and kind not in ("number", "integer", "date"):
        raise fail_operator(
            tr(f"'{op}' 只能用于数字或日期列", f"'{op}' works on number or date columns only")
        )
    if kind in ("text", "phone", "email"):
        return (_scalar(kind, value, fail).casefold(),)
    return (_scalar(kind, value, fail),)


def _parse_tiers(data: BlockData, preset: str) -> tuple[Tier, ...]:
    tiers: list[Tier] = []
    for row, rec in data.records():
        if str(rec["preset"] or "").strip().lower() not in ("", preset):
            continue
        if is_blank(rec["tier"]):
            raise data.error(row, "tier", tr("等级名称不能为空", "the tier needs a name"))
        label = str(rec["tier"]).strip()
        label_en = label if is_blank(rec["tier_en"]) else str(rec["tier_en"]).strip()
        code = "" if is_blank(rec["code"]) else str(rec["code"]).strip()
        if not code:
            raise data.error(
                row, "code", tr("等级代码不能为空（如 A）", "the tier needs a code such as A")
            )
        minimum = None
        if not is_blank(rec["min_score"]):
            minimum = _number(
                rec["min_score"],
                lambda msg, r=row: data.error(r, "min_score", msg),
                tr("最低分", "min score"),
            )
        tiers.append(Tier(label, label_en, code, minimum))
    if not tiers:
        raise data.error(
            data.rows[0][0] if data.rows else 0,
            "preset",
            tr(
                f"没有预设为 '{preset}' 的等级；请添加或改为 b2c/b2b",
                f"no tiers for preset '{preset}'; add some or use b2c/b2b",
            ),
        )
    catch_all = [t for t in tiers if t.min_score is None]
    ranked = sorted(
        (t for t in tiers if t.min_score is not None), key=lambda t: -(t.min_score or 0)
    )
    return tuple(ranked + catch_all[:1])


def _parse_names(data: BlockData) -> tuple[dict[str, str], dict[str, str]]:
    cn_keys = {key for key, _, _ in CN_SEGMENTS.values()}
    cn: dict[str, str] = {}
    en: dict[str, str] = {}
    for row, rec in data.records():
        key = str(rec["key"] or "").strip()
        if key not in cn_keys and key not in EN_SEGMENTS:
            allowed = ", ".join([*sorted(cn_keys), *EN_SEGMENTS])
            raise data.error(
                row,
                "key",
                tr(
                    f"分群代码 '{key}' 未知；可用：{allowed}",
                    f"unknown segment key '{key}'; use one of: {allowed}",
                ),
            )
        if not is_blank(rec["name"]):
            (cn if key in cn_keys else en)[key] = str(rec["name"]).strip()
    return cn, en


def parse_tier_settings(
    settings: Settings,
    labels: Mapping[str, str],
    *,
    preset: str | None = None,
    lang: Lang | None = None,
) -> TierSettings:
    """Rules, thresholds and segment names from the settings sheet, each cell validated."""
    if preset is None or lang is None:
        general = parse_general(settings)
        preset = preset or general.preset
        lang = lang or ("en" if general.language == "en" else "zh")
    return _build(settings, labels, preset, lang)


def _build(
    settings: Settings, labels: Mapping[str, str], preset: str, lang: Lang | None
) -> TierSettings:
    names = _field_names(labels)
    rules_data = settings.block(RULES.key)
    rules = tuple(
        _parse_rule(rules_data, row, rec, names)
        for row, rec in rules_data.records()
        if not is_blank(rec["field"])
    )
    tiers = _parse_tiers(settings.block(THRESHOLDS.key), preset.strip().lower())
    cn, en = _parse_names(settings.block(SEGMENTS.key))
    return TierSettings(rules, tiers, cn, en, lang, preset)
