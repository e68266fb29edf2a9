"""`x-jetstream` against its JSON Schema (schemas/x-jetstream.json), at the three places it
may sit: the document root, a channel's NATS binding, an operation's NATS binding."""

from typing import Any

import jsonschema

from accord.events._contract import X_JETSTREAM as KEY
from accord.events._contract import jetstream_binding as binding
from accord.events._document import Location, json_path
from accord.tooling.contracts._schemas import jetstream_validator
from accord.tooling.contracts._tree import get, mapping

__all__ = ["KEY", "binding", "shape_problems"]


def shape_problems(name: str, document: Any) -> list[str]:
    parts: list[tuple[Location, str, Any]] = [((KEY,), "document", get(document, KEY))]
    for channel_name, channel in mapping(get(document, "channels")).items():
        parts.append(
            (("channels", channel_name, "bindings", "nats", KEY), "channel", binding(channel))
        )
    for op_name, operation in mapping(get(document, "operations")).items():
        parts.append(
            (("operations", op_name, "bindings", "nats", KEY), "consumer", binding(operation))
        )
    return [
        f"{name}: {json_path((*at, *error.absolute_path))}: {_explain(error)}"
        for at, part, value in parts
        if value is not None
        for error in jetstream_validator(part).iter_errors(value)
    ]


def _explain(error: jsonschema.ValidationError) -> str:
    """Our schema describes each pattern in words; say those rather than the regex."""
    if error.validator == "pattern" and isinstance(error.schema, dict):
        return f"{error.instance!r} is not valid: {error.schema.get('description', '')}"
    return error.message
