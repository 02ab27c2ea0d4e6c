"""The fast paths: rows rendered as jinja renders them, values formatted once per distinct value."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _messages_data import AS_OF, customers, tiers
from sheetcrm.messages import MessageSettings, compose_messages
from sheetcrm.messages.compiling import Compiled, compile_template, environment
from sheetcrm.messages.fast import row_renderer
from sheetcrm.messages.records import cached
from sheetcrm.messages.templates import TemplateSource

FIELDS = ("a", "b", "订单", "absent")  # "absent": a known field the table has no column for
COLUMNS = ("a", "b", "订单")

_value = st.one_of(
    st.none(),
    st.text(alphabet="ab <&>'\"中文 \n", max_size=6),
    st.integers(-5000, 5000),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
    st.booleans(),
)
_field = st.sampled_from(["customer.a", "customer.b", "customer['订单']", "customer.absent"])
_filter = st.sampled_from(
    [
        "",
        " | default('无')",
        " | default(0)",
        " | default('空', true)",
        " | money",
        " | money('$', 0)",
        " | date",
        " | mask_phone",
        " | salutation('女')",
        " | upper",
        " | trim",
    ]
)
_text = st.text(alphabet="ab 中<&>\n", max_size=4)
_output = st.one_of(
    st.builds(lambda f, flt: "{{ " + f + flt + " }}", _field, _filter),
    st.sampled_from(["{{ company }}", "{{ lang }}", "{{ as_of }}", "{{ signature }}"]),
    _text,
)


def _branch(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    test = st.builds(lambda neg, f: neg + f, st.sampled_from(["", "not "]), _field)
    return st.builds(
        lambda t1, b1, t2, b2, b3, shape: (
            "{% if " + t1 + " %}" + b1
            + ("{% elif " + t2 + " %}" + b2 if shape & 1 else "")
            + ("{% else %}" + b3 if shape & 2 else "")
            + "{% endif %}"
        ),
        test, inner, test, inner, inner, st.integers(0, 3),
    )  # fmt: skip


_template = st.recursive(
    st.lists(_output, max_size=5).map("".join),
    lambda inner: st.lists(st.one_of(_output, _branch(inner)), max_size=4).map("".join),
    max_leaves=12,
)


def _base(lang: str) -> dict[str, Any]:
    return {
        **environment(lang, False).globals,
        "company": "示例<科技>&",
        "signature": "【示例】",
        "sender": "s <s@example.com>",
        "as_of": AS_OF,
        "lang": lang,
    }


def _outcome(call: Any) -> tuple[Any, ...]:
    try:
        return ("ok", call())
    except Exception as exc:  # both paths must fail alike on a value a filter refuses
        return ("error", type(exc).__name__, str(exc))


def _both(source: TemplateSource, rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """Each row rendered by jinja (a fresh compile, no sharing) and by the fast renderer."""
    fields = frozenset(FIELDS)
    columns = {name: [row[name] for row in rows] for name in COLUMNS}
    base = _base(source.lang)
    fast = compile_template(source, fields)
    fast.bind(base, columns)
    assert fast.fast is not None, "this template should take the fast path"
    jinja_side, fast_side = [], []
    for i, row in enumerate(rows):
        record = {k: v for k, v in row.items() if v is not None}
        slow = compile_template(source, fields)
        jinja_side.append(_outcome(lambda s=slow, r=record: s.render(base, r, {})))
        fast_side.append(_outcome(lambda i=i: fast.render_row(i)))
    return jinja_side, fast_side


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=_template,
    body=_template,
    html=_template,
    lang=st.sampled_from(["zh", "en"]),
    rows=st.lists(
        st.fixed_dictionaries({name: _value for name in COLUMNS}), min_size=1, max_size=4
    ),
)
def test_fast_renderer_matches_jinja(
    subject: str, body: str, html: str, lang: str, rows: list[dict[str, Any]]
) -> None:
    source = TemplateSource(
        key="t", channel="email", lang=lang, subject=subject, body=body, html=html, origin="test"
    )
    jinja_side, fast_side = _both(source, rows)
    assert fast_side == jinja_side


def test_blank_fields_are_recorded_in_print_order() -> None:
    source = TemplateSource(
        key="t",
        channel="sms",
        lang="zh",
        body="{{ customer.b }}{% if customer.a %}x{% endif %}{{ customer.a | money }}"
        "{{ customer.absent | default('d') }}{{ customer.b }}{{ customer['订单'] }}",
        origin="test",
    )
    jinja_side, fast_side = _both(source, [{"a": None, "b": None, "订单": 3}])
    assert fast_side == jinja_side
    assert fast_side[0][1][1] == "d3" and fast_side[0][1][3] == ("b", "a")


@pytest.mark.parametrize(
    "text",
    [
        "{% for x in [1, 2] %}{{ x }}{% endfor %}",
        "{{ customer.items }}",  # a dict's own attribute: jinja's lookup rules apply
        "{{ touch.purpose }}",
        "{{ customer | length }}",
        "{% set x = 1 %}{{ x }}",
        "{{ company.upper() }}",
        "{{ customer.a ~ 'x' }}",
        "{{ customer.a | default(customer.b) }}",
        "{{ customer.a | truncate(3) }}",  # takes the environment: left to jinja
    ],
)
def test_other_constructs_are_left_to_jinja(text: str) -> None:
    env = environment("zh", False)
    assert row_renderer(env.parse(text), env, _base("zh"), {"a": [1]}) is None


def test_html_output_is_escaped_and_text_is_not() -> None:
    env = environment("zh", True)
    tree = env.parse("<p>{{ customer.a }}{{ company }}</p>")
    render = row_renderer(tree, env, _base("zh"), {"a": ["<b>&"]})
    assert render is not None
    assert render(0) == "<p>&lt;b&gt;&amp;示例&lt;科技&gt;&amp;</p>"


def _bench_like(n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fixed customers repeated with blanks, foreign numbers and markup in the owner."""
    frame = pd.concat([customers()] * n, ignore_index=True)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    frame["id"] = [f"C{i:04d}" for i in range(len(frame))]
    rng = np.random.default_rng(1)
    frame.loc[rng.random(len(frame)) < 0.2, "owner"] = "<i>Tom & Jerry</i>"
    tier = pd.concat([tiers()] * n, ignore_index=True)
    tier.index = frame.index
    return frame, tier


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compose_is_the_same_without_the_fast_path(
    lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, tier = _bench_like(25)
    sheet = TemplateSource(
        key="vip",
        channel="email",
        lang=lang,
        subject="{{ customer.salutation }}",
        body="{{ customer.owner }}{% if customer.amount %}{{ customer.amount | money }}{% endif %}"
        "{{ customer.last_purchase | date }}{{ customer.rfm }}",
        html="<p>{{ customer.owner }}</p>",
        targets=frozenset({"a"}),
        origin="消息模板!A3",
        from_sheet=True,
    )
    options: dict[str, Any] = {"as_of": AS_OF, "lang": lang, "channels": ("sms", "email", "phone")}
    fast = compose_messages(frame, tier, MessageSettings(templates=(sheet,)), **options)
    monkeypatch.setattr(Compiled, "bind", lambda self, base, columns: None)
    slow = compose_messages(frame, tier, MessageSettings(templates=(sheet,)), **options)
    pd.testing.assert_frame_equal(fast.messages, slow.messages)
    pd.testing.assert_frame_equal(fast.skipped, slow.skipped)
    assert [str(e) for e in fast.errors] == [str(e) for e in slow.errors]
    assert (fast.skipped["missing_fields"] != "").any()  # blank fields were exercised


def test_compose_uses_the_fast_path_for_bundled_templates(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    original = Compiled.render

    def counting(self: Compiled, *args: Any) -> Any:
        calls.append(1)
        return original(self, *args)

    monkeypatch.setattr(Compiled, "render", counting)
    result = compose_messages(customers(), tiers(), MessageSettings(), as_of=AS_OF)
    assert len(result.messages) > 0 and calls == []


def test_too_deep_a_template_is_left_to_jinja() -> None:
    env = environment("zh", False)
    text = "{% if customer.a %}x" + "{% elif customer.a %}y" * 400 + "{% endif %}"
    assert row_renderer(env.parse(text), env, _base("zh"), {"a": [1]}) is None


@given(
    st.integers(1, 3).flatmap(
        lambda width: st.lists(
            st.tuples(
                *[st.sampled_from([None, "张", "李", "", "a", 7, dt.date(2026, 1, 1)])] * width
            ),
            max_size=40,
        )
    )
)
def test_cached_formats_each_row_as_a_direct_call(rows: list[tuple[Any, ...]]) -> None:
    calls: list[tuple[Any, ...]] = []

    def describe(*values: Any) -> str:
        calls.append(values)
        return repr(values)

    columns = [list(column) for column in zip(*rows, strict=True)] or [[]]
    assert cached(describe, columns) == [repr(row) for row in rows]
    assert len(calls) == len(set(rows))  # once per distinct combination
