"""Hostile templates are refused within seconds, naming the template and the limit."""

from __future__ import annotations

import time

import pytest

from _messages_data import AS_OF, customers, tiers
from sheetcrm.errors import TemplateError
from sheetcrm.i18n import use_lang
from sheetcrm.messages import MessageSettings, TemplateSource, compose_messages

_NESTED_RANGE = "{% for i in range(9999) %}{% for j in range(9999) %}{% endfor %}{% endfor %}"
_DOUBLING = (
    "{% set ns = namespace(s='xxxxxxxxxx') %}"
    "{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
)
_EXPONENTIAL_MACRO = (
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}"
)


@pytest.mark.parametrize(
    ("body", "limit"),
    [
        ("{{ 10**(10**10) }}", "4096"),
        ("{{ 2**5000 }}", "4096"),
        ("{% set ns = namespace(x=2**4000) %}{{ ns.x * ns.x }}", "4096"),
        ("{{ 'x'*10**10 }}", "100,000"),
        ("{{ [1]*10**9 }}", "100,000"),
        ("{{ range(10**9)|list }}", "10,000"),
        (_NESTED_RANGE, ""),  # the step or the time limit, whichever comes first
        ("{% for a in 'x'*99999 %}{% for b in 'x'*99999 %}{% endfor %}{% endfor %}", ""),
        (_DOUBLING, "100,000"),
        ("{{ ('x'*90000) + ('x'*90000) }}", "100,000"),
        ("{{ 'x'.ljust(10**9) }}", "100,000"),
        ("{{ '{:>999999999}'.format(1) }}", "100,000"),
        ("{{ '%999999999d' % 1 }}", "100,000"),
        ("{{ '%999999999d'|format(1) }}", "100,000"),
        ("{{ range(9999)|join('x'*99999) }}", "100,000"),
        (
            "{% set ns = namespace(l=[]) %}{% for i in range(2000) %}"
            "{% set _ = ns.l.append('x'*99999) %}{% endfor %}{{ ns.l|join }}",
            "100,000",
        ),
        ("{{ 'x'*99999 ~ 'y'*99 }}", "100,000"),
        ("{{ ('x'*99999)|replace('', 'yyyy') }}", "100,000"),
        ("{{ ('x\n'*9999)|indent(99999) }}", "100,000"),
        ("{{ 'x'|center(10**9) }}", "100,000"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", ""),
        (_EXPONENTIAL_MACRO, ""),  # the step or the time limit, whichever comes first
        ("{% if 1 %}" * 300 + "x" + "{% endif %}" * 300, ""),
        ("{% for i in range(2) %}" * 30 + "x" + "{% endfor %}" * 30, ""),
        ("{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}", ""),
        ("{% for i in range(9999) %}{{ 'x'*99 }}{% endfor %}", "100,000"),
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hostile_templates_are_refused_quickly(body: str, limit: str, lang: str) -> None:
    source = TemplateSource(
        key="welcome", channel="sms", lang=lang, body=body, origin="消息模板!B7"
    )
    started = time.monotonic()
    with use_lang(lang), pytest.raises(TemplateError) as info:
        compose_messages(
            customers(),
            tiers(),
            MessageSettings(templates=(source,)),
            as_of=AS_OF,
            lang=lang,
            channels=("sms",),
        )
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "welcome/sms" in message and "消息模板!B7" in message
    assert limit in message
    assert not message.rstrip().endswith(("：", ":"))


def test_templates_within_the_limits_render() -> None:
    body = (
        "{% for i in range(3) %}{{ i }}{% endfor %}{{ 2**10 }}{{ 'ab'*3 }}{{ 'x' ~ 'y' }}"
        "{{ range(3)|map('string')|join('-') }}"
    )
    source = TemplateSource(key="welcome", channel="sms", lang="zh", body=body, origin="A1")
    result = compose_messages(
        customers(), tiers(), MessageSettings(templates=(source,)), as_of=AS_OF, channels=("sms",)
    )
    welcome = result.messages[result.messages["template"] == "welcome"]
    assert welcome["body"].str.contains("0121024abababxy0-1-2").all() and len(welcome)
