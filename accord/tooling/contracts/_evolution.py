"""AsyncAPI evolution: what a new revision of a document takes away from its consumers.

Consumers already deployed read the old contract. They break when a channel, message or
payload property they read disappears, when a value they parse changes type, when a
property they never send becomes required, when an enum value they send is refused, or when
the subject they subscribe to moves. Adding a channel or an optional property is safe.
"""

from typing import Any

import yaml

from accord.events._document import resolve
from accord.tooling.contracts._sources import Source
from accord.tooling.contracts._subjects import tokens
from accord.tooling.contracts._tree import mapping, sequence
from accord.tooling.contracts._versions import next_version


def asyncapi_changes(old: Source, new: Source) -> list[str]:
    """Breaking changes of every document `old` has; documents new in `new` pass."""
    current = set(new.asyncapi_documents())
    problems: list[str] = []
    for name in old.asyncapi_documents():
        if name not in current:
            problems.append(
                f"{name}: the document was removed, and with it every channel it declared; "
                "keep it until no service consumes those events"
            )
            continue
        try:
            before, after = resolve(name, old.read).resolved, resolve(name, new.read).resolved
        except (OSError, yaml.YAMLError) as error:
            problems.append(f"{name}: cannot compare with the previous version: {error}")
            continue
        problems += compare_documents(name, before, after)
    return problems


def compare_documents(name: str, old: Any, new: Any) -> list[str]:
    """Problems, each naming the document, the channel and the property path."""
    problems = []
    new_channels = mapping(mapping(new).get("channels"))
    for key, channel in mapping(mapping(old).get("channels")).items():
        address = mapping(channel).get("address")
        advice = _advice(address)
        if key not in new_channels:
            problems.append(f"{name}: {key}: channel removed (address {address!r}); {advice}")
            continue
        now = mapping(new_channels[key])
        if not _same_subjects(now.get("address"), address):
            problems.append(
                f"{name}: {key}: address (subject) changed from {address!r} to "
                f"{now.get('address')!r}, so subscribers hear nothing; {advice}"
            )
        problems += [
            f"{name}: {change}; {advice}" for change in _message_changes(key, channel, now)
        ]
    return problems


def _message_changes(key: str, old: Any, new: Any) -> list[str]:
    before, after = mapping(mapping(old).get("messages")), mapping(new.get("messages"))
    changes = []
    for message_key, message in before.items():
        label = key if len(before) == 1 else f"{key} (message {message_key})"
        if message_key not in after:
            changes.append(f"{key}: message {message_key} removed")
            continue
        for part in ("payload", "headers"):
            old_schema = _schema(mapping(message).get(part))
            new_schema = _schema(mapping(after[message_key]).get(part))
            changes += [f"{label}: {c}" for c in schema_changes(part, old_schema, new_schema)]
    return changes


def schema_changes(path: str, old: Any, new: Any) -> list[str]:
    """Breaking differences between two JSON Schemas, each prefixed with its path
    (`payload.lines[].sku`)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []  # `true`/`false` schemas and unresolved loops: nothing to walk
    old, new = flatten(old), flatten(new)
    changes = []
    if _types(old) != _types(new):
        changes.append(f"{path}: type changed from {_types(old)} to {_types(new)}")
    changes += _enum_changes(path, old.get("enum"), new.get("enum"))
    old_props, new_props = mapping(old.get("properties")), mapping(new.get("properties"))
    for prop, schema in old_props.items():
        if prop not in new_props:
            changes.append(f"{path}.{prop}: property removed or renamed")
        else:
            changes += schema_changes(f"{path}.{prop}", schema, new_props[prop])
    required_before = set(sequence(old.get("required")))
    for prop in sequence(new.get("required")):
        if prop not in required_before:
            what = "became required" if prop in old_props else "is a new required property"
            changes.append(f"{path}.{prop}: {what}")
    changes += schema_changes(f"{path}[]", old.get("items"), new.get("items"))
    return changes


def flatten(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with its `allOf` parts merged in: the properties, required names, type and
    enum an instance must satisfy (CloudEvents headers, say, are a shared base plus extras)."""
    parts = [p for p in sequence(schema.get("allOf")) if isinstance(p, dict)]
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in map(flatten, parts):
        properties = {**mapping(part.get("properties")), **mapping(merged.get("properties"))}
        required = list(
            dict.fromkeys([*sequence(merged.get("required")), *sequence(part.get("required"))])
        )
        merged = {**part, **merged}
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
    return merged


def _enum_changes(path: str, old: Any, new: Any) -> list[str]:
    if not isinstance(new, list):
        return []
    if not isinstance(old, list):
        return [f"{path}: enum {new} added, which refuses values allowed before"]
    removed = [value for value in old if value not in new]
    return [f"{path}: enum narrowed, {removed} removed"] if removed else []


def _types(schema: dict[str, Any]) -> list[str] | None:
    kind = schema.get("type")
    if kind is None:
        return None
    return sorted(kind) if isinstance(kind, list) else [str(kind)]


def _schema(part: Any) -> Any:
    """The JSON Schema of a payload, unwrapped from a multi-format schema object."""
    if isinstance(part, dict) and "schemaFormat" in part:
        return part.get("schema")
    return part


def _advice(address: Any) -> str:
    if isinstance(address, str):
        return f"publish a new version (`{next_version(address)}`) beside this one instead"
    return "publish a new version of the channel beside this one instead"


def _same_subjects(new: Any, old: Any) -> bool:
    """Whether two addresses stand for the same subjects: a parameter (`{customerId}`) and
    a `*` in its place are the same token to a subscriber."""
    if not isinstance(new, str) or not isinstance(old, str):
        return bool(new == old)
    return tokens(new) == tokens(old)
