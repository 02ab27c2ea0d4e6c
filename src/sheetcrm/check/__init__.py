"""The data check (数据检查): phones, e-mails, required fields, ranges, dates and duplicates.

The engine's side only: it returns :class:`Problems` (held as columns) and frames; the 数据检查 sheet they are
shown on is laid out in :mod:`sheetcrm.sheets.check`. Near-identical names are matched by
:func:`near_names` from :func:`name_keys`, which a job may run in a worker process beforehand.
"""

from .customers import CheckResult, check_customers
from .problems import Problems, kind_counts
from .similar_names import NameKeys, name_keys, near_names

__all__ = [
    "CheckResult",
    "NameKeys",
    "Problems",
    "check_customers",
    "kind_counts",
    "name_keys",
    "near_names",
]
