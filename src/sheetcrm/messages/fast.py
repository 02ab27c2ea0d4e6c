"""Render plain templates row by row straight from prepared columns, without a jinja context.

Most templates are text, customer fields, filters with constant arguments and if/else.
For those, ``row_renderer`` builds a function of the row number that produces exactly what
jinja's compiled template produces: the same ``str``/``escape`` conversion of each output,
the same filter functions, and the environment's own Undefined object for a blank field,
so blank fields print and are recorded just as they are under jinja. Anything else (loops,
variables, calls, the plan's ``touch``…) gets None, and jinja renders that template.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jinja2 import Environment, nodes
from jinja2.filters import do_default
from markupsafe import escape

__all__ = ["RowRenderer", "row_renderer"]

RowRenderer = Callable[[int], str]


class _UnsupportedError(Exception):
    """A construct this renderer leaves to jinja."""


def row_renderer(
    ast: nodes.Template,
    env: Environment,
    constants: Mapping[str, Any],
    columns: Mapping[str, Sequence[Any]],
) -> RowRenderer | None:
    """A function rendering the template for row i of the columns; None if jinja must do it."""
    builder = _Builder(env, constants, columns)
    try:
        body = builder.statements(ast.body)
    except _UnsupportedError:
        return None
    # Like jinja, the template becomes one Python function. Its source holds only names
    # made here and the row variable: template text and values are passed as objects,
    # and the function sees no builtins, only those objects.
    try:
        code = compile(f"def render(i):\n    return {body}\n", "<sheetcrm template>", "exec")
    except (SyntaxError, RecursionError, MemoryError):  # nested deeper than Python parses
        return None
    namespace: dict[str, Any] = {**builder.names, "__builtins__": {}}
    exec(code, namespace)
    render: RowRenderer = namespace["render"]
    return render


class _Builder:
    """Translates a syntax tree to the source of one Python expression of the row i."""

    def __init__(
        self, env: Environment, constants: Mapping[str, Any], columns: Mapping[str, Sequence[Any]]
    ) -> None:
        self.env, self.constants, self.columns = env, constants, columns
        # Outputs are converted as jinja's generated code converts them.
        self.names: dict[str, Any] = {"convert": escape if env.autoescape is True else str}
        self.convert = self.names["convert"]

    def name(self, value: Any) -> str:
        """A fresh name in the generated code's namespace, bound to the value."""
        name = f"x{len(self.names)}"
        self.names[name] = value
        return name

    def statements(self, body: Sequence[nodes.Node]) -> str:
        pieces: list[str] = []
        for node in body:
            if isinstance(node, nodes.Output):
                pieces += [self.output(child) for child in node.nodes]
            elif isinstance(node, nodes.If):
                pieces.append(self.branch(node))
            else:
                raise _UnsupportedError
        return f"''.join(({', '.join(pieces)},))" if pieces else "''"

    def output(self, node: nodes.Expr) -> str:
        if isinstance(node, nodes.TemplateData):
            return self.name(node.data)  # template text is never escaped
        if isinstance(node, nodes.Name):
            # A plain str: the constant as converted once, not a Markup.
            return self.name(str(self.convert(self.constant(node))))
        return f"convert({self.value(node)})"

    def branch(self, node: nodes.If) -> str:
        # if / elif / else as nested conditional expressions, tested in the same order.
        arms = [(node.test, node.body), *((other.test, other.body) for other in node.elif_)]
        source = self.statements(node.else_)
        for test, body in reversed(arms):
            source = f"({self.statements(body)} if {self.test(test)} else {source})"
        return source

    def test(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Not):
            return f"(not {self.value(node.node)})"
        return self.value(node)

    def value(self, node: nodes.Node) -> str:
        if isinstance(node, nodes.Name):
            return self.name(self.constant(node))
        if isinstance(node, nodes.Filter):
            return self.filter(node)
        field = self.field_name(node)
        if field is None:
            raise _UnsupportedError
        # A blank cell reads as the environment's Undefined, which records its name when
        # printed: the row's missing fields are found exactly as under jinja.
        values = self.name(self.columns.get(field, _BLANK))
        blank = self.name(self.env.undefined(name=field))
        return f"({blank} if (v := {values}[i]) is None else v)"

    def filter(self, node: nodes.Filter) -> str:
        func = self.env.filters.get(node.name)
        # Filters that take the context or environment first are left to jinja.
        if func is None or hasattr(func, "jinja_pass_arg") or node.node is None:
            raise _UnsupportedError
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            raise _UnsupportedError
        args = [self.literal(a) for a in node.args]
        kwargs = {k.key: self.literal(k.value) for k in node.kwargs}
        field = self.field_name(node.node)
        if func is do_default and field is not None and len(args) == 1 and not kwargs:
            # customer.x | default('…'): a blank cell (Undefined) gives the default, as
            # do_default does, without calling it for every row.
            values = self.name(self.columns.get(field, _BLANK))
            return f"({self.name(args[0])} if {values}[i] is None else {values}[i])"
        inner = self.value(node.node)
        call = f"{self.name(func)}({inner}, *{self.name(tuple(args))}"
        return f"{call}, **{self.name(kwargs)})" if kwargs else f"{call})"

    def constant(self, node: nodes.Name) -> Any:
        if node.ctx != "load" or node.name not in self.constants:
            raise _UnsupportedError  # the customer or touch passed whole, or a local variable
        return self.constants[node.name]

    @staticmethod
    def literal(node: nodes.Node) -> Any:
        if not isinstance(node, nodes.Const):
            raise _UnsupportedError
        return node.value

    @staticmethod
    def field_name(node: nodes.Node | None) -> str | None:
        """The customer field of customer.name or customer['name'], else None."""
        if isinstance(node, nodes.Getattr):
            name: Any = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        else:
            return None
        inner = node.node
        if not (isinstance(inner, nodes.Name) and inner.name == "customer"):
            return None
        # The sandbox answers a dict's own attributes (items, keys…) for absent fields.
        if not isinstance(name, str) or hasattr(dict, name):
            raise _UnsupportedError
        return name


class _Blank:
    """The column of a field the table does not have: blank in every row."""

    def __getitem__(self, i: int) -> None:
        return None


_BLANK = _Blank()
