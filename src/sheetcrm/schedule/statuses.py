"""A touch's status (跟进状态): the stored values, their labels and what staff may type."""

from __future__ import annotations

from ..i18n import tr

__all__ = [
    "STATUSES",
    "STATUS_CANCELLED",
    "STATUS_DONE",
    "STATUS_OPEN",
    "STATUS_SKIPPED",
    "read_status",
    "status_label",
]

STATUS_OPEN, STATUS_DONE, STATUS_SKIPPED, STATUS_CANCELLED = "待跟进", "已完成", "已跳过", "已取消"
STATUSES: dict[str, str] = {  # canonical (stored) status → English label
    STATUS_OPEN: "Open",
    STATUS_DONE: "Done",
    STATUS_SKIPPED: "Skipped",
    STATUS_CANCELLED: "Cancelled",
}
_ALIASES = {
    **{zh: zh for zh in STATUSES},
    **{en.lower(): zh for zh, en in STATUSES.items()},
    "完成": STATUS_DONE,
    "已跟进": STATUS_DONE,
    "completed": STATUS_DONE,
    "todo": STATUS_OPEN,
    "to do": STATUS_OPEN,
    "pending": STATUS_OPEN,
    "跳过": STATUS_SKIPPED,
    "skip": STATUS_SKIPPED,
    "取消": STATUS_CANCELLED,
    "canceled": STATUS_CANCELLED,
}


def status_label(status: str) -> str:
    """A canonical status in the current language."""
    return tr(status, STATUSES.get(status, status))


def read_status(text: str) -> str | None:
    """The canonical status staff meant (blank: open), or None when it is not one."""
    return _ALIASES.get(text.lower()) if text else STATUS_OPEN
