"""Personal outreach messages (个性化沟通): templates, rendering and SMS rules.

The files made from them (.eml, mbox, SMS CSV) are in :mod:`sheetcrm.exports.messages`."""

from __future__ import annotations

from ..channels import channel_label
from .composing import MessagesResult, compose_messages
from .records import ExtraFields
from .settings import MessageSettings, demo_identity, parse_message_settings
from .sms import SmsCount, sms_length
from .templates import (
    TEMPLATE_KEYS,
    TemplateSource,
)

__all__ = [
    "TEMPLATE_KEYS",
    "ExtraFields",
    "MessageSettings",
    "MessagesResult",
    "SmsCount",
    "TemplateSource",
    "channel_label",
    "compose_messages",
    "demo_identity",
    "parse_message_settings",
    "sms_length",
]
