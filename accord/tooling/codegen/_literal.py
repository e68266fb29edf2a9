"""Python literals a person can read, for generated data: dataclasses are written as calls
that give only the fields that differ from their defaults, `Name` stands for an expression
written as is (a constant defined once elsewhere, instead of its value again), and strings
keep their characters. The line breaks are the formatter's (codegen runs ruff format).
"""

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class Name:
    """An expression written as is: `ORDER_LINE`."""

    expression: str


def literal(value: Any, rewrite: Callable[[Any], Any] = lambda value: value) -> str:
    """`value` as Python source. `rewrite` may replace any value on the way (by a `Name`,
    say) before it is written."""
    value = rewrite(value)
    if isinstance(value, Name):
        return value.expression
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a Python string
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, Mapping):
        items = (f"{literal(k)}: {literal(v, rewrite)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(item, rewrite) for item in value) + "]"
    if isinstance(value, tuple):
        parts = [literal(item, rewrite) for item in value]
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = (f"{k}={literal(v, rewrite)}" for k, v in _given(value).items())
        return f"{type(value).__name__}(" + ", ".join(fields) + ")"
    raise TypeError(f"no literal for {type(value).__name__}")


def _given(instance: Any) -> dict[str, Any]:
    """The fields of a dataclass instance that differ from their defaults, in field order."""
    given = {}
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if field.default is not dataclasses.MISSING and value == field.default:
            continue
        if field.default_factory is not dataclasses.MISSING and value == field.default_factory():
            continue
        given[field.name] = value
    return given
