"""The VBA module of worksheet-function wrappers, generated from the Python UDFs.

Each wrapper has the shape xlwings' "Import Functions" writes for an add-in, so the
functions exist as soon as the add-in loads; generating them at build time from the
functions themselves means the VBA and Python signatures cannot drift apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import UsageError
from ..i18n import tr

__all__ = ["UDF_MODULE", "VBA_MODULE", "udf_module_source", "vba_name", "vba_text"]

UDF_MODULE = "sheetcrm.excel.udfs"  # the Python module the wrappers call (xlwings "UDF Modules")
VBA_MODULE = "SheetCRM_UDFs"

# VBA keywords a Python argument may be named after; those parameters get a trailing "_".
_RESERVED = {
    word.lower()
    for word in [
        "And",
        "As",
        "Boolean",
        "ByRef",
        "Byte",
        "ByVal",
        "Call",
        "Case",
        "Class",
        "Const",
        "Currency",
        "Date",
        "Decimal",
        "Declare",
        "Dim",
        "Do",
        "Double",
        "Each",
        "Else",
        "ElseIf",
        "Empty",
        "End",
        "Enum",
        "Eqv",
        "Erase",
        "Error",
        "Event",
        "Exit",
        "False",
        "For",
        "Friend",
        "Function",
        "Get",
        "Global",
        "GoSub",
        "GoTo",
        "If",
        "Imp",
        "Implements",
        "In",
        "Integer",
        "Is",
        "Let",
        "Like",
        "Long",
        "LongLong",
        "LongPtr",
        "Loop",
        "LSet",
        "Me",
        "Mod",
        "New",
        "Next",
        "Not",
        "Nothing",
        "Null",
        "Object",
        "On",
        "Option",
        "Optional",
        "Or",
        "ParamArray",
        "Preserve",
        "Private",
        "Property",
        "Public",
        "RaiseEvent",
        "ReDim",
        "Rem",
        "Resume",
        "Return",
        "RSet",
        "Select",
        "Set",
        "Single",
        "Static",
        "Step",
        "Stop",
        "String",
        "Sub",
        "Then",
        "To",
        "True",
        "Type",
        "TypeOf",
        "Until",
        "Variant",
        "Wend",
        "While",
        "With",
        "WithEvents",
        "Xor",
    ]
}


def vba_name(argument: str) -> str:
    """The VBA parameter name for a Python argument name."""
    return f"{argument}_" if argument.lower() in _RESERVED else argument


def vba_text(text: str) -> str:
    """A VBA expression for a text: a string literal if ASCII, else a CrmText(...) call."""
    if text.isascii():
        return '"' + text.replace('"', '""') + '"'
    return f'CrmText("{text.encode("utf-16-be").hex().upper()}")'


def _parameters(name: str, func: Callable[..., Any]) -> list[str]:
    params = []
    for param in inspect.signature(func).parameters.values():
        if param.kind not in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            raise UsageError(
                tr(
                    f"工作表函数 {name} 的参数 {param.name} 不能是 *args/**kwargs/仅关键字参数",
                    f"worksheet function {name}: argument {param.name} cannot be *args, **kwargs or keyword-only",
                )
            )
        optional = "Optional " if param.default is not param.empty else ""
        params.append(optional + vba_name(param.name))
    return params


def _wrapper(name: str, func: Callable[..., Any]) -> list[str]:
    params = _parameters(name, func)
    args = ", ".join(p.removeprefix("Optional ") for p in params)
    call = (
        f'XLPy.CallUDF("{UDF_MODULE}", "{name}", Array({args}), ActiveWorkbook, Application.Caller)'
    )
    return [
        f"Function {name}({', '.join(params)})",
        '    #If App = "Microsoft Excel" Then',
        "        If TypeOf Application.Caller Is Range Then On Error GoTo failed",
        f"        {name} = {call}",
        "        Exit Function",
        "    #Else",
        f'        {name} = XLPy.CallUDF("{UDF_MODULE}", "{name}", Array({args}))',
        "        Exit Function",
        "    #End If",
        "failed:",
        f"    {name} = Err.Description",
        "End Function",
        "",
    ]


def _description(func: Callable[..., Any]) -> str:
    lines = (inspect.getdoc(func) or "").strip().splitlines()
    # 200 characters keep the MacroOptions line (hex-spelt if Chinese) under VBA's 1023 limit.
    return (lines[0] if lines else "")[:200]


def udf_module_source(functions: Mapping[str, Callable[..., Any]]) -> str:
    """The source of the SheetCRM_UDFs module: one wrapper per function and their descriptions."""
    lines = [
        f'Attribute VB_Name = "{VBA_MODULE}"',
        f"' Generated from {UDF_MODULE} when the add-in is built: do not edit, rebuild instead.",
        '#Const App = "Microsoft Excel"',
        "",
    ]
    for name, func in functions.items():
        lines += _wrapper(name, func)
    lines += [
        "' Descriptions for Insert Function; ThisWorkbook's Workbook_Open calls this.",
        "Public Sub RegisterFunctions()",
        "    On Error Resume Next",
    ]
    for name, func in functions.items():
        lines.append(
            f'    Application.MacroOptions Macro:="\'" & ThisWorkbook.Name & "\'!{name}", '
            f'Description:={vba_text(_description(func))}, Category:="SheetCRM"'
        )
    lines += ["End Sub", ""]
    return "\n".join(lines)
