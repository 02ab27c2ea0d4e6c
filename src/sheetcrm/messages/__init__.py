"""Personal outreach messages (个性化沟通): templates, rendering, SMS rules and exports."""

from __future__ import annotations

from ..channels import channel_label
from .composing import MessagesResult, compose_messages
from .export import email_message, export_all, preview, write_eml, write_mbox, write_sms_csv
from .records import ExtraFields
from .settings import MessageSettings, parse_message_settings
from .sms import SmsCount, sms_length
from .templates import (
    TEMPLATE_KEYS,
    TEMPLATES_SHEET,
    TemplateSource,
    parse_templates_sheet,
    templates_sheet_spec,
)

__all__ = [
    "TEMPLATES_SHEET",
    "TEMPLATE_KEYS",
    "ExtraFields",
    "MessageSettings",
    "MessagesResult",
    "SmsCount",
    "TemplateSource",
    "channel_label",
    "compose_messages",
    "email_message",
    "export_all",
    "parse_message_settings",
    "parse_templates_sheet",
    "preview",
    "sms_length",
    "templates_sheet_spec",
    "write_eml",
    "write_mbox",
    "write_sms_csv",
]
