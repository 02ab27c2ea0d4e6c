"""Contact channels (电话 / 短信 / 邮件 / 微信 / 拜访): one vocabulary for plans and messages."""

from __future__ import annotations

from .i18n import tr

__all__ = ["CHANNELS", "channel_key", "channel_label"]

CHANNELS: dict[str, tuple[str, str]] = {
    "phone": ("电话", "Phone"),
    "sms": ("短信", "SMS"),
    "email": ("邮件", "Email"),
    "wechat": ("微信", "WeChat"),
    "visit": ("拜访", "Visit"),
}
# What staff type in a cell for each channel, besides its key and both labels.
_ALIASES = {
    "phone": ("call", "打电话"),
    "sms": ("text", "短信息"),
    "email": ("e-mail", "电邮", "电子邮件"),
    "wechat": ("微信消息",),
    "visit": ("上门",),
}
_KEYS = {
    alias.lower(): key
    for key, (zh, en) in CHANNELS.items()
    for alias in (key, zh, en, *_ALIASES[key])
}


def channel_key(value: object) -> str | None:
    """The channel key (phone|sms|email|wechat|visit) for a key or label, None if unknown."""
    return _KEYS.get(str(value or "").strip().lower())


def channel_label(key: str) -> str:
    """A channel's label in the current language (the key itself when unknown)."""
    zh, en = CHANNELS.get(key, (key, key))
    return tr(zh, en)
