"""Messages and the plan follow the one set of contact rules (``sheetcrm.contacts``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _messages_data import AS_OF, customers, tiers
from sheetcrm import contacts
from sheetcrm.messages import MessageSettings, compose_messages
from sheetcrm.schedule import build_plan, parse_plan_settings
from sheetcrm.settings import Settings

_NUMBERS = st.sampled_from(
    [
        "138 1234 5678",
        "0512-61098253",
        "010 8888 1234",
        "12345",
        "+44 7911 123456",
        "+44 20 7946 0958",
        "+1 415 555 2671",
        "not a phone",
        "",
        "19912345678",
    ]
)


def _with(mobiles: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = customers().assign(mobile=mobiles)
    return frame, tiers()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_NUMBERS, min_size=4, max_size=4))
def test_every_sms_address_is_a_mobile_by_the_contact_rules(mobiles: list[str]) -> None:
    frame, tier_frame = _with(mobiles)
    result = compose_messages(
        frame, tier_frame, MessageSettings(), lang="zh", as_of=AS_OF, channels=("sms",)
    )
    for to in result.messages["to"]:
        assert contacts.phone(to) == (to, "mobile")
    sent = set(result.messages["customer_id"])
    for cid, number in zip(frame["id"], mobiles, strict=True):
        assert (cid in sent) == (contacts.phone(number)[1] == "mobile")


def test_a_landline_gets_a_call_and_no_text() -> None:
    frame, tier_frame = _with(["0512-61098253", "13900001111", "12345", "13700001234"])
    texts = compose_messages(
        frame, tier_frame, MessageSettings(), lang="zh", as_of=AS_OF, channels=("sms",)
    )
    assert "C001" not in set(texts.messages["customer_id"])
    calls = compose_messages(
        frame, tier_frame, MessageSettings(), lang="zh", as_of=AS_OF, channels=("phone",)
    )
    assert calls.messages.set_index("customer_id")["to"].get("C001") == "0512 6109 8253"
    assert "C003" not in set(calls.messages["customer_id"])  # no valid number at all


def test_the_plan_calls_a_customer_whose_only_number_is_a_landline() -> None:
    as_of, cadences = dt.date(2026, 5, 4), parse_plan_settings(Settings(None))
    mobiles = ["13812345678", "13900001111", "13600001111", "13700001234"]
    frame, tier_frame = _with(mobiles)
    # Old customers of tier C: the default cadence texts them every 21 working days.
    frame["first_purchase"] = dt.date(2020, 1, 2)
    tier_frame["tier_code"] = "C"
    before = build_plan(frame, tier_frame, cadences, as_of).touches
    texted = before.loc[before["channel"] == "sms", "customer_id"]
    assert len(texted)
    who = texted.iloc[0]
    frame.loc[frame["id"] == who, "mobile"] = "0512-61098253"
    after = build_plan(frame, tier_frame, cadences, as_of).touches
    mine = after["customer_id"] == who
    assert not after.loc[mine, "channel"].isin(["sms", "wechat"]).any()
    # The same touches (ids unchanged), a call where there was a text.
    assert after["touch_id"].tolist() == before["touch_id"].tolist()
    called = (before["channel"] == "sms") & mine
    assert (after.loc[called, "channel"] == "phone").all()
    assert after.loc[~mine, "channel"].tolist() == before.loc[~mine, "channel"].tolist()
