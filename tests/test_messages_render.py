"""Composing messages: selection, SMS rules, opt-outs, safety, fields, plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from types import EllipsisType

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _messages_data import AS_OF, customers, tiers
from sheetcrm.errors import InputError, SettingsError, TemplateError
from sheetcrm.messages import (
    ExtraFields,
    MessageSettings,
    MessagesResult,
    compose_messages,
    parse_message_settings,
)
from sheetcrm.messages.composing import MESSAGE_COLUMNS, _named_records
from sheetcrm.messages.records import customer_keys, id_text
from sheetcrm.messages.templates import TemplateSource
from sheetcrm.settings import Settings


def _compose(
    frame: pd.DataFrame | None = None,
    *,
    labels: pd.DataFrame | EllipsisType | None = ...,  # ...: the four customers' tiers
    settings: MessageSettings | None = None,
    plan: pd.DataFrame | None = None,
    extra: ExtraFields | None = None,
    channels: Sequence[str] = ("sms", "email"),
    until: dt.date | None = None,
) -> MessagesResult:
    return compose_messages(
        customers() if frame is None else frame,
        tiers() if isinstance(labels, EllipsisType) else labels,
        MessageSettings() if settings is None else settings,
        plan=plan,
        extra=extra,
        lang="zh",
        as_of=AS_OF,
        channels=channels,
        until=until,
    )


def _sheet_template(
    body: str,
    *,
    key: str = "custom",
    channel: str = "sms",
    subject: str = "",
    marketing: bool | None = None,
) -> MessageSettings:
    source = TemplateSource(
        key=key,
        channel=channel,
        lang="zh",
        body=body,
        subject=subject,
        marketing=marketing,
        origin="消息模板!A3",
    )
    return MessageSettings(templates=(source,))


def _input_errors(result: MessagesResult) -> list[InputError]:
    """The result's errors, failing the test unless each one is an InputError."""
    errors = [e for e in result.errors if isinstance(e, InputError)]
    assert len(errors) == len(result.errors), result.errors
    return errors


def _by(result: MessagesResult, cid: str, channel: str) -> pd.Series:
    m = result.messages
    rows = m[(m["customer_id"] == cid) & (m["channel"] == channel)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_one_message_per_customer_and_channel_with_the_contract_columns() -> None:
    result = _compose()
    assert list(result.messages.columns) == list(MESSAGE_COLUMNS)
    assert len(result.messages) == 7  # C002 has no email
    assert result.skipped[["customer_id", "channel"]].values.tolist() == [["C002", "email"]]
    keys = {cid: _by(result, cid, "sms")["template"] for cid in ("C001", "C002", "C003", "C004")}
    assert keys == {
        "C001": "loyalty_offer",
        "C002": "welcome",
        "C003": "winback",
        "C004": "upgrade_thanks",
    }


def test_sms_signature_opt_out_and_counts() -> None:
    result = _compose()
    loyalty = _by(result, "C001", "sms")
    assert loyalty["to"] == "13812345678"
    assert loyalty["body"].startswith("【示例科技】欧阳女士您好")
    assert loyalty["body"].endswith("回T退订")
    assert loyalty["chars"] == len(loyalty["body"]) and loyalty["parts"] == 1
    welcome = _by(result, "C002", "sms")
    assert welcome["body"].startswith("【示例科技】李总您好") and "退订" not in welcome["body"]
    foreign = _by(result, "C003", "sms")
    assert foreign["to"] == "+447911123456" and not foreign["body"].startswith("【")


def test_settings_change_signature_and_opt_out() -> None:
    result = _compose(settings=MessageSettings(signature="【好物店】", opt_out="拒收请回复R"))
    body = _by(result, "C001", "sms")["body"]
    assert body.startswith("【好物店】") and body.endswith("拒收请回复R")


def test_long_sms_is_billed_in_parts_and_warned() -> None:
    result = _compose(
        settings=_sheet_template("字" * 80, marketing=False),
        channels=("sms",),
        labels=None,
        plan=_plan("custom"),
    )
    row = _by(result, "C001", "sms")
    assert row["chars"] == 86 and row["parts"] == 2 and "2" in row["warnings"]


def test_over_500_characters_is_refused_with_the_row() -> None:
    result = _compose(settings=_sheet_template("字" * 495), channels=("sms",), plan=_plan("custom"))
    assert len(result.messages) == 1  # only the international number: no signature added
    assert {e.row for e in _input_errors(result)} == {2, 3, 5}


def test_opted_out_customers_get_nothing_and_are_listed_once() -> None:
    frame = customers()
    frame.loc[3, "opt_out"] = True
    result = _compose(frame, channels=("sms", "email", "wechat"))
    assert "C002" not in set(result.messages["customer_id"])
    listed = result.skipped[result.skipped["customer_id"] == "C002"]
    assert len(listed) == 1 and listed.iloc[0]["channel"] == ""


def test_customer_data_is_never_evaluated() -> None:
    frame = customers()
    frame.loc[2, "contact"] = "{{ 7*7 }}{% raw %}"
    frame.loc[2, "title"] = None
    body = _by(_compose(frame), "C001", "sms")["body"]
    assert "{{ 7*7 }}{% raw %}" in body and "49" not in body


def test_html_bodies_are_autoescaped_and_text_bodies_are_not() -> None:
    frame = customers()
    frame.loc[3, "email"] = "lina@example.cn"
    frame.loc[3, "owner"] = "<b>王芳</b>"
    row = _by(_compose(frame), "C002", "email")
    assert "&lt;b&gt;王芳&lt;/b&gt;" in row["html"] and "<b>王芳" not in row["html"]
    assert "<b>王芳</b>" in row["body"]


@pytest.mark.parametrize(
    "body",
    [
        "{{ ''.__class__ }}",
        "{{ customer.__class__.__mro__ }}",
        "{{ customer['__class__'] }}",
        "{{ ''|attr('__class__') }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_templates_reaching_for_internals_fail_naming_the_template(body: str) -> None:
    with pytest.raises(TemplateError) as info:
        _compose(settings=_sheet_template(body))
    assert "custom/sms/zh" in str(info.value) and "消息模板!A3" in str(info.value)


def test_runtime_sandbox_refusal_is_a_template_error() -> None:
    with pytest.raises(TemplateError) as info:
        _compose(settings=_sheet_template("{% set a = 'attr' %}{{ ''|attr('_' ~ '_class__') }}"))
    assert "custom/sms/zh" in str(info.value)


def test_unknown_field_names_template_and_field() -> None:
    with pytest.raises(TemplateError) as info:
        _compose(settings=_sheet_template("{{ customer.shoe_size }}"))
    assert info.value.field == "shoe_size" and "custom/sms/zh" in info.value.template
    with pytest.raises(TemplateError) as top:
        _compose(settings=_sheet_template("{{ name }}"))
    assert top.value.field == "name"


def test_fields_by_header_text_and_missing_fields_column() -> None:
    raw = pd.DataFrame({"会员等级": ["金卡", None, "银卡", None]}, index=[2, 3, 4, 5])
    body = (
        "{{ customer['累计金额'] | money }}|{{ customer['会员等级'] }}|"
        "{{ customer.city }}|{{ customer.email | default('无邮箱') }}"
    )
    result = _compose(
        settings=_sheet_template(body, marketing=False),
        extra=ExtraFields(aliases={"累计金额": "amount", "城市": "city"}, columns=raw),
        plan=_plan("custom"),
        channels=("sms",),
    )
    assert result.messages.empty  # every text printed a field blank: none is sent as it is
    skipped = result.skipped.set_index("customer_id")
    assert skipped.loc["C001", "body"] == "【示例科技】¥12,345.50|金卡||ouyang@example.cn"
    assert skipped.loc["C001", "missing_fields"] == "城市"
    assert skipped.loc["C002", "body"].endswith("¥800.00|||无邮箱")  # a default is no hole
    assert skipped.loc["C002", "missing_fields"] == "会员等级、城市"
    assert str(skipped.loc["C002", "reason"]) in (
        "缺少字段：会员等级、城市",
        "missing fields: 会员等级、城市",
    )


def test_leading_formula_characters_are_kept() -> None:
    settings = _sheet_template(
        '=HYPERLINK("x") {{ customer.name }}', channel="email", subject="+1 offer"
    )
    row = _by(_compose(settings=settings, plan=_plan("custom", channel="email")), "C001", "email")
    assert row["subject"] == "+1 offer" and row["body"].startswith("=HYPERLINK")


def _plan(key: str, channel: str = "sms", **extra: object) -> pd.DataFrame:
    ids = ["C001", "C002", "C003", "C004"]
    data: dict[str, object] = {
        "touch_id": [f"T{i}" for i in range(4)],
        "customer_id": ids,
        "channel": [channel] * 4,
        "due": [AS_OF] * 4,
        "template": [key] * 4,
        "status": ["待跟进"] * 4,
    }
    data.update(extra)
    return pd.DataFrame(data)


def test_plan_renders_one_message_per_due_open_touch() -> None:
    plan = pd.DataFrame(
        {
            "touch_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
            "customer_id": ["C001", "C001", "C002", "C004", "C999", "C003"],
            "channel": ["电话", "邮件", "短信", "短信", "短信", "拜访"],
            "due": [AS_OF, AS_OF, AS_OF, AS_OF + dt.timedelta(days=90), AS_OF, AS_OF],
            "template": ["onboarding_call", "onboarding_email", "", "revisit", "revisit", ""],
            "status": ["待跟进", "待跟进", "待跟进", "待跟进", "待跟进", "待跟进"],
        }
    )
    plan.loc[len(plan)] = ["T7", "C002", "短信", AS_OF, "winback", "已完成"]
    result = _compose(plan=plan, channels=("sms", "email", "phone"))
    got = result.messages[["customer_id", "channel", "template"]].values.tolist()
    assert got == [
        ["C001", "phone", "onboarding_call"],
        ["C001", "email", "onboarding_email"],
        ["C002", "sms", "welcome"],  # no key: chosen by stage
    ]
    assert result.messages.iloc[0]["to"] == "13812345678"
    errors = _input_errors(result)
    assert [e.column for e in errors] == ["customer_id"] and "C999" in str(errors[0])


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(InputError):
        _compose(channels=("fax",))


def test_message_settings_from_the_settings_sheet() -> None:
    assert parse_message_settings(Settings(None)).signature == "【示例科技】"
    grid = [
        ["[sms] 短信与邮件"],
        ["设置", "值"],
        ["signature", "【好物店】"],
        ["marketing", "否"],
        [],
    ]
    parsed = parse_message_settings(Settings(grid))
    assert parsed.signature == "【好物店】" and parsed.marketing is False
    bad = [["[sms] 短信与邮件"], ["设置", "值"], ["signature", "好物店"], []]
    with pytest.raises(SettingsError) as info:
        parse_message_settings(Settings(bad))
    assert info.value.cell == "B3"


_ANY = st.one_of(st.none(), st.text(max_size=30))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            _ANY, _ANY, _ANY, _ANY, _ANY, _ANY, st.one_of(st.none(), st.floats(allow_nan=True))
        ),
        min_size=1,
        max_size=4,
    ),
    st.sampled_from(["zh", "en"]),
)
def test_rendering_never_raises_on_arbitrary_unicode(
    rows: list[tuple[object, ...]], lang: str
) -> None:
    frame = pd.DataFrame(
        rows, columns=["name", "contact", "title", "mobile", "email", "owner", "amount"]
    )
    frame.index = range(2, 2 + len(frame))
    # pd.isna: pandas 3's string columns hold NaN, not None, for a missing text
    frame["email"] = frame["email"].map(lambda e: None if pd.isna(e) else e + "@x.cn")
    frame["mobile"] = frame["mobile"].map(lambda m: None if pd.isna(m) else "138" + m)
    labels = frame.assign(tier="高价值客户", change="↑", stage="获取期")[
        ["tier", "change", "stage"]
    ]
    result = compose_messages(
        frame,
        labels,
        MessageSettings(),
        lang=lang,
        as_of=AS_OF,
        channels=("sms", "email", "wechat", "phone"),
    )
    assert len(result.messages) + len(result.skipped) >= len(frame)
    assert all("尊敬的 ," not in body for body in result.messages["body"])


def test_invalid_email_addresses_are_skipped() -> None:
    frame = customers()
    frame.loc[2, "email"] = "ouyang@@example"
    result = _compose(frame, channels=("email",))
    assert "C001" not in set(result.messages["customer_id"])
    assert "C001" in set(result.skipped["customer_id"])


def test_wechat_is_plain_text_and_phone_is_a_call_script() -> None:
    plan = _plan("revisit", channel="微信")
    wechat = _by(_compose(plan=plan, channels=("wechat",)), "C001", "wechat")
    assert not wechat["body"].startswith("【") and "退订" not in wechat["body"]
    assert pd.isna(wechat["parts"]) and wechat["chars"] == len(wechat["body"])
    call = _by(
        _compose(plan=_plan("onboarding_call", channel="phone"), channels=("phone",)),
        "C001",
        "phone",
    )
    assert call["body"].startswith("【新客户首次电话】") and call["to"] == "13812345678"


def test_touch_fields_are_available_in_plan_mode() -> None:
    settings = _sheet_template(
        "{{ customer.salutation }}，{{ touch.due | date }}见，{{ touch.purpose }}", marketing=False
    )
    plan = _plan("custom", purpose=["回访", None, "回访", "回访"])
    result = _compose(settings=settings, plan=plan, channels=("sms",))
    assert _by(result, "C001", "sms")["body"] == "【示例科技】欧阳女士，2026年5月1日见，回访"
    missing = result.skipped.set_index("customer_id").loc["C002"]
    assert missing["missing_fields"] == "purpose" and missing["channel"] == "sms"


def test_customer_ids_match_the_plan_engine_convention() -> None:
    frame = customers()
    frame["id"] = [1001.0, None, 1003.0, 1004.0]
    plan = _plan("revisit", customer_id=[1001, "3", "1003", 1004.0])
    result = _compose(frame, plan=plan, channels=("sms",))
    assert result.messages["customer_id"].tolist() == ["1001", "3", "1003", "1004"]


_ID = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.sampled_from(["", "  ", "C1", " C1", "C2 ", "c2", "客户3", "5", "\u3000C4\u3000"]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ID, min_size=1, max_size=8))
def test_customer_keys_of_text_ids_follow_the_per_value_rule(
    values: list[str | float | None],
) -> None:
    frame = pd.DataFrame({"id": values}, index=range(7, 7 + len(values)), dtype=object)
    expected = [id_text(v) or str(r) for v, r in zip(values, frame.index, strict=True)]
    assert customer_keys(frame) == expected


def _table(ids: list[str | None]) -> pd.DataFrame:
    """The four sample customers repeated under the given IDs, indexed from Excel row 2."""
    base = customers()
    frame = base.iloc[[i % len(base) for i in range(len(ids))]].copy()
    frame["id"] = ids
    frame.index = range(2, 2 + len(ids))
    return frame


def _label_table(frame: pd.DataFrame) -> pd.DataFrame:
    base = tiers()
    labels = base.iloc[[i % len(base) for i in range(len(frame))]].copy()
    labels.index = frame.index
    return labels


def _touches_for(keys: list[str], channels: tuple[str, ...]) -> pd.DataFrame:
    """One open touch per customer key and channel, without a template (chosen as usual)."""
    pairs = [(key, channel) for key in keys for channel in channels]
    return pd.DataFrame(
        {
            "touch_id": [f"T{n}" for n in range(len(pairs))],
            "customer_id": [key for key, _ in pairs],
            "channel": [channel for _, channel in pairs],
            "due": [AS_OF] * len(pairs),
            "template": [""] * len(pairs),
            "status": ["待跟进"] * len(pairs),
        }
    )


def _same(one: MessagesResult, other: MessagesResult) -> None:
    for name in ("messages", "skipped"):
        pd.testing.assert_frame_equal(
            getattr(one, name).reset_index(drop=True), getattr(other, name).reset_index(drop=True)
        )
    assert [str(e) for e in one.errors] == [str(e) for e in other.errors]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.booleans(), min_size=1, max_size=10), st.lists(st.booleans(), max_size=10))
def test_plan_messages_equal_the_per_customer_messages_of_the_customers_due(
    due: list[bool], opted_out: list[bool]
) -> None:
    # Only the customers a due touch names are prepared: their messages must be exactly
    # those the per-customer mode gives for them, whoever else is in the table.
    frame = _table([f"C{n:03d}" if n % 3 else f" C{n:03d} " for n in range(len(due))])
    frame["opt_out"] = [opted_out[n] if n < len(opted_out) else False for n in range(len(due))]
    chosen = [n for n, flag in enumerate(due) if flag]
    keys = [f"C{n:03d}" for n in chosen]
    channels = ("sms", "email")
    planned = compose_messages(
        frame,
        _label_table(frame),
        MessageSettings(),
        plan=_touches_for(keys, channels),
        as_of=AS_OF,
        lang="zh",
        channels=channels,
    )
    subset = frame.iloc[chosen]
    alone = compose_messages(
        subset, _label_table(frame), MessageSettings(), as_of=AS_OF, lang="zh", channels=channels
    )
    _same(planned, alone)


def test_customers_no_touch_names_do_not_change_the_messages() -> None:
    table = _table(["C001", None, "C003"])
    plan = _touches_for(["C001", "3", "C003", "C404"], ("sms", "email"))
    alone = _compose(table, labels=_label_table(table), plan=plan)
    # Customers nobody plans for, and an earlier row repeating C003 (a repeated ID
    # means its last row), leave the messages as they were.
    before, after = _table(["C003", "X1"]), _table(["X2"])
    before.index, after.index = [20, 21], [30]
    before["name"] = "someone else"
    padded = pd.concat([before, table, after])
    labels = pd.concat([_label_table(before), _label_table(table), _label_table(after)])
    _same(_compose(padded, labels=labels, plan=plan), alone)
    assert len(alone.messages) == 5
    assert [e.column for e in _input_errors(alone)] == ["customer_id"] * 2


def test_touches_due_by_until_become_messages_once_per_day_and_text() -> None:
    later = AS_OF + dt.timedelta(days=21)
    plan = pd.DataFrame(
        {
            "touch_id": ["T1", "T2", "T3", "T4"],
            "customer_id": ["C002", "C002", "C002", "C004"],
            "channel": ["sms", "sms", "sms", "sms"],
            "due": [AS_OF - dt.timedelta(days=3), AS_OF - dt.timedelta(days=3), later, later],
            "template": ["revisit"] * 4,
            "status": ["待跟进"] * 4,
        }
    )
    today = _compose(plan=plan, channels=("sms",))
    # Overdue is sent today; the same customer, channel and day is one message.
    assert today.messages[["customer_id", "send_date"]].values.tolist() == [["C002", AS_OF]]
    month = _compose(plan=plan, channels=("sms",), until=AS_OF + dt.timedelta(days=30))
    # The touch 21 days on would repeat the same text to the same number: listed, not sent.
    assert month.messages[["customer_id", "send_date"]].values.tolist() == [
        ["C002", AS_OF],
        ["C004", later],
    ]
    assert month.skipped["customer_id"].tolist() == ["C002"]
    assert month.skipped["body"].iloc[0] == month.messages["body"].iloc[0]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["C001", "C002", "C003", "C004"]),
            st.sampled_from(["sms", "email", "phone", "短信"]),
            st.integers(-40, 40),
            st.sampled_from(["", "revisit", "welcome", "winback"]),
        ),
        max_size=12,
    ),
    st.integers(0, 60),
)
def test_no_customer_gets_the_same_text_twice_on_a_channel(
    touches: list[tuple[str, str, int, str]], days: int
) -> None:
    plan = pd.DataFrame(
        {
            "touch_id": [f"T{i}" for i in range(len(touches))],
            "customer_id": [t[0] for t in touches],
            "channel": [t[1] for t in touches],
            "due": [AS_OF + dt.timedelta(days=t[2]) for t in touches],
            "template": [t[3] for t in touches],
            "status": "待跟进",
        }
    )
    result = _compose(
        plan=plan, channels=("sms", "email", "phone"), until=AS_OF + dt.timedelta(days=days)
    )
    m = result.messages
    assert not m.duplicated(["customer_id", "channel", "body"]).any()
    assert not m.duplicated(["customer_id", "channel", "send_date"]).any()
    assert (m["send_date"] >= AS_OF).all() and (m["send_date"] <= AS_OF + dt.timedelta(days)).all()


@settings(max_examples=80, deadline=None)
@given(
    st.lists(_ID, min_size=1, max_size=10),
    st.sets(st.sampled_from(["C1", "c2", "客户3", "5", "9", "x"])),
)
def test_named_records_are_the_last_row_of_each_named_key(
    ids: list[str | None], named: set[str]
) -> None:
    frame = _table(ids)
    keys = customer_keys(frame)
    # As a dict keeps it: the last row of each key named, in row order.
    last = {key: row for row, key in enumerate(keys) if key in named}
    expected = sorted(last.values())
    records = _named_records(frame, _label_table(frame), ExtraFields(), "zh", named)
    assert records.rows == [int(frame.index[r]) for r in expected]
    assert records.ids == [keys[r] for r in expected]
