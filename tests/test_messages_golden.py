"""Golden tests: every bundled template rendered for the fixed customers.

Regenerate after an intended copy change with ``SHEETCRM_UPDATE_GOLDEN=1 pytest
tests/test_messages_golden.py`` and review the diff of ``tests/golden/messages/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from _messages_data import AS_OF, customers, tiers
from sheetcrm.messages import MessageSettings, compose_messages
from sheetcrm.messages.templates import TemplateSource, bundled_templates

GOLDEN = Path(__file__).parent / "golden" / "messages"
UPDATE = os.environ.get("SHEETCRM_UPDATE_GOLDEN") == "1"


def _rendered(key: str, channel: str, lang: str) -> str:
    frame = customers()
    plan = pd.DataFrame(
        {
            "customer_id": frame["id"],
            "channel": channel,
            "due": AS_OF,
            "template": key,
            "status": "待跟进",
        }
    )
    result = compose_messages(
        frame, tiers(), MessageSettings(), plan=plan, lang=lang, as_of=AS_OF, channels=(channel,)
    )
    blocks = []
    for row in result.messages.to_dict("records"):
        parts = f", {row['parts']} part(s)" if row["channel"] == "sms" else ""
        lines = [f"=== {row['customer_id']} → {row['to']} ({row['chars']} chars{parts})"]
        if row["subject"]:
            lines.append(f"Subject: {row['subject']}")
        lines.append(row["body"])
        if row["html"]:
            lines += ["--- html", row["html"].strip()]
        blocks.append("\n".join(lines))
    for row in result.skipped.to_dict("records"):
        blocks.append(f"=== {row['customer_id']} skipped ({row['channel']})")
    return "\n\n".join(blocks) + "\n"


_TEMPLATES = sorted(bundled_templates(), key=lambda t: (t.lang, t.channel, t.key))


def _template_id(source: TemplateSource) -> str:
    return f"{source.lang}-{source.channel}-{source.key}"


@pytest.mark.parametrize("source", _TEMPLATES, ids=_template_id)
def test_bundled_template_matches_golden(source: TemplateSource) -> None:
    key, channel, lang = source.key, source.channel, source.lang
    path = GOLDEN / f"{lang}_{channel}_{key}.txt"
    text = _rendered(key, channel, lang)
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"golden file {path.name} was missing; written now, review it")
    assert text == path.read_text(encoding="utf-8")
    assert "尊敬的 ," not in text and "{{" not in text and "None" not in text
