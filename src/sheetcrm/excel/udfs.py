"""Every worksheet function sheetcrm offers, gathered for xlwings' ``UDF Modules``.

The add-in's generated VBA wrappers call ``Py.CallUDF("sheetcrm.excel.udfs", name, …)``;
the functions themselves live beside their job in ``udfs_tier``, ``udfs_plan`` and
``udfs_messages``.
"""

from __future__ import annotations

from types import FunctionType

from . import udfs_messages, udfs_plan, udfs_tier

__all__ = ["udf_functions"]

_MODULES = (udfs_tier, udfs_plan, udfs_messages)


def udf_functions() -> dict[str, FunctionType]:
    """Every ``CRM_*`` worksheet function by name, in a stable order."""
    found: dict[str, FunctionType] = {}
    for module in _MODULES:
        for name in sorted(vars(module)):
            value = getattr(module, name)
            if name.startswith("CRM_") and isinstance(value, FunctionType):
                found[name] = value
    return found


globals().update(udf_functions())
