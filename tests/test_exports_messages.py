""".eml / .mbox files, the bulk-SMS CSV and the terminal preview."""

from __future__ import annotations

import csv
import email
import mailbox
from email import policy
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from _messages_data import AS_OF, customers, tiers
from sheetcrm.exports.messages import (
    email_message,
    export_all,
    preview,
    write_eml,
    write_mbox,
    write_sms_csv,
)
from sheetcrm.i18n import use_lang
from sheetcrm.messages import MessageSettings, MessagesResult, compose_messages

SENDER = "示例科技 <sales@example.com>"


def _result() -> MessagesResult:
    return compose_messages(customers(), tiers(), MessageSettings(), as_of=AS_OF)


def test_eml_files_are_utf8_with_proper_headers(tmp_path: Path) -> None:
    paths = write_eml(_result().messages, tmp_path, SENDER)
    assert len(paths) == 3 and all(p.suffix == ".eml" for p in paths)
    msg = email.message_from_bytes(paths[0].read_bytes(), policy=policy.default)
    assert msg["From"].addresses[0].addr_spec == "sales@example.com"
    assert msg["From"].addresses[0].display_name == "示例科技"
    assert msg["To"].addresses[0].addr_spec == "ouyang@example.cn"
    assert msg["Subject"] == "欧阳女士专享：老客户会员礼遇"
    assert msg["Message-ID"] and msg["Date"] and msg["X-Unsent"] == "1"
    plain = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert plain is not None and "感谢您5次选择示例科技" in plain.get_content()
    assert html is not None and "<strong>" in html.get_content()
    assert plain.get_content_charset() == "utf-8"


def test_mbox_holds_every_email(tmp_path: Path) -> None:
    path = write_mbox(_result().messages, tmp_path / "out.mbox", SENDER)
    box = mailbox.mbox(path)
    assert len(box) == 3
    write_mbox(_result().messages, path, SENDER)  # re-running replaces, never appends
    assert len(mailbox.mbox(path)) == 3


def test_sms_csv_for_bulk_platforms(tmp_path: Path) -> None:
    with use_lang("zh"):
        path = write_sms_csv(_result().messages, tmp_path / "sms.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    assert rows[0] == ["手机号码", "短信内容", "发送日期"]
    assert rows[1][2] == AS_OF.isoformat()
    assert rows[1][0] == "13812345678" and rows[1][1].startswith("【示例科技】")
    assert len(rows) == 5


def test_export_all_writes_emails_and_sms(tmp_path: Path) -> None:
    written = export_all(_result(), tmp_path)
    assert (tmp_path / "sms.csv") in written
    assert len(list((tmp_path / "emails").glob("*.eml"))) == 3


def test_preview_shows_the_first_n(tmp_path: Path) -> None:
    with use_lang("en"):
        text = preview(_result().messages, 2)
    assert text.count("— ") == 2
    assert "【示例科技】欧阳女士您好" in text and "Subject: 欧阳女士专享" in text


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20))
def test_eml_export_never_raises_on_odd_names(name: str, owner: str) -> None:
    frame = customers()
    frame.loc[2, "contact"] = name
    frame.loc[2, "owner"] = owner
    frame.loc[2, "name"] = name + "\r\nBcc: x@evil.cn"
    messages = compose_messages(frame, tiers(), MessageSettings(), as_of=AS_OF).messages
    row = messages[messages["channel"] == "email"].iloc[0].to_dict()
    raw = email_message(row, SENDER).as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["To"].addresses[0].addr_spec == "ouyang@example.cn"
