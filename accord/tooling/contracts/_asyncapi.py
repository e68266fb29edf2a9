"""AsyncAPI documents against the official AsyncAPI 3.0.0 JSON Schema, and their message
payloads (and headers) as JSON Schemas in their own right.

The official schema wants a Reference Object in a few places (an operation's channel and
messages, a reply's channel and messages, a channel's servers), and a plain schema
everywhere else accepts either. So the document is validated with every other reference
inlined: errors in shared files then show up at the path where they are used.
"""

import json
import re
from typing import Any

import jsonschema

from accord.events._document import Location, json_path
from accord.tooling.contracts._schemas import asyncapi_validator
from accord.tooling.contracts._tree import get, mapping

_REFERENCE_ONLY: tuple[tuple[str, ...], ...] = (
    ("operations", "*", "channel"),
    ("operations", "*", "messages", "*"),
    ("operations", "*", "reply", "channel"),
    ("operations", "*", "reply", "messages", "*"),
    ("components", "operations", "*", "channel"),
    ("components", "operations", "*", "messages", "*"),
    ("components", "operations", "*", "reply", "channel"),
    ("components", "operations", "*", "reply", "messages", "*"),
    ("components", "replies", "*", "channel"),
    ("components", "replies", "*", "messages", "*"),
    ("channels", "*", "servers", "*"),
    ("components", "channels", "*", "servers", "*"),
)

# Media types under which a multi-format payload is a JSON Schema we can check.
_JSON_SCHEMA_FORMATS = ("application/schema+json", "application/vnd.aai.asyncapi")
_MAX_MESSAGE = 200


def reference_only(at: Location) -> bool:
    """Whether the AsyncAPI 3.0 schema requires a `$ref` at this path."""
    return any(
        len(at) == len(shape) and all(s in ("*", a) for s, a in zip(shape, at, strict=True))
        for shape in _REFERENCE_ONLY
    )


def validate_document(name: str, document: Any) -> list[str]:
    """Problems of a document (references inlined except where `reference_only`)."""
    errors = sorted(
        asyncapi_validator().iter_errors(document), key=lambda e: list(map(str, e.path))
    )
    # dict.fromkeys: a failure reached through two branches of the schema is reported once.
    return list(dict.fromkeys(_describe(name, leaf) for e in errors for leaf in _leaves(e)))


def check_payloads(name: str, document: Any) -> list[str]:
    """Every message's payload and headers must be a valid JSON Schema of its declared draft
    (draft-07 when it declares none). Takes the fully resolved document."""
    problems: list[str] = []
    seen: set[str] = set()
    for at, message in _messages(document):
        for part in ("payload", "headers"):
            schema = message.get(part)
            if schema is None:
                continue
            at_part = (*at, part)
            if isinstance(schema, dict) and "schemaFormat" in schema:
                if not str(schema["schemaFormat"]).startswith(_JSON_SCHEMA_FORMATS):
                    continue  # Avro, RAML...: not ours to check
                schema, at_part = schema.get("schema"), (*at_part, "schema")
            key = json.dumps(schema, sort_keys=True, default=str)
            if key in seen:  # the same message reached from a channel and from components
                continue
            seen.add(key)
            problems += _check_schema(name, at_part, schema)
    return problems


def _messages(document: Any) -> list[tuple[Location, dict[str, Any]]]:
    found: list[tuple[Location, Any]] = [
        (("channels", channel_name, "messages", key), message)
        for channel_name, channel in mapping(get(document, "channels")).items()
        for key, message in mapping(get(channel, "messages")).items()
    ]
    found += [
        (("components", "messages", key), message)
        for key, message in mapping(get(document, "components", "messages")).items()
    ]
    return [(at, message) for at, message in found if isinstance(message, dict)]


def _check_schema(name: str, at: Location, schema: Any) -> list[str]:
    default = jsonschema.Draft7Validator
    cls = jsonschema.validators.validator_for(schema, default=default) if schema else default
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as error:
        where = json_path((*at, *error.path))
        return [f"{name}: {where}: not a valid JSON Schema: {_short(error.message)}"]
    return []


def _leaves(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The specific failures behind a `oneOf`/`anyOf` one: those of the branch the instance
    came closest to matching (not "'$ref' is a required property" of the Reference branch)."""
    if not error.context:
        return [error]
    branches: dict[object, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    closest = max(branches.values(), key=_closeness)
    return [leaf for sub in closest for leaf in _leaves(sub)]


def _closeness(branch: list[jsonschema.ValidationError]) -> tuple[bool, int]:
    wants_ref = all(e.validator == "required" and "'$ref'" in e.message for e in branch)
    return (not wants_ref, max(_depth(e) for e in branch))


def _depth(error: jsonschema.ValidationError) -> int:
    return max([len(error.absolute_path), *(_depth(sub) for sub in error.context)])


def _describe(name: str, error: jsonschema.ValidationError) -> str:
    return f"{name}: {error.json_path}: {_short(_message(error))}"


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's words, except for an unknown field, where it quotes a regex."""
    schema, instance = error.schema, error.instance
    if error.validator != "additionalProperties" or not isinstance(schema, dict):
        return error.message
    known, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    unknown = [
        key
        for key in (instance if isinstance(instance, dict) else {})
        if key not in known and not any(re.search(p, key) for p in patterns)
    ]
    fields = ", ".join(map(repr, unknown))
    return f"unknown field {fields} (extension fields must start with 'x-')"


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 3] + "..."
