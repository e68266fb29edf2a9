"""Who defines what: the schemas the documents' messages carry, each named once and owned by
the file that defines it.

A schema a `$ref` reaches is a definition named after the last part of its pointer
(`common/money.yaml#/components/schemas/Money` → `Money`), owned by that file's package; a
payload written inline in a message is named after the message (`OrderPlaced`), and inline
headers after the message too (`OrderPlacedHeaders`). Codegen writes each definition once,
in its owner's package, and every other package imports it from there.
"""

import re
from dataclasses import dataclass, field
from typing import Any

from accord.events._document import Files

Json = Any


@dataclass(frozen=True)
class Definition:
    """One named schema, as written (its `$ref`s kept, relative to `file`)."""

    name: str
    file: str
    pointer: str
    schema: Json
    uses: tuple["Definition", ...] = field(default=(), compare=False, repr=False)

    @property
    def constant(self) -> str:
        """Its JSON Schema's name in Python: ORDER_PLACED_PAYLOAD."""
        return _snake_case(self.name).upper()

    @property
    def model(self) -> bool:
        """Whether it is a class of its own (an object or an enum); a constrained string,
        number or array is written into each model that uses it instead."""
        schema = self.schema if isinstance(self.schema, dict) else {}
        return schema.get("type") == "object" or "properties" in schema or "enum" in schema


@dataclass(frozen=True)
class MessageAt:
    """Where a message is defined, and the definitions of its payload and headers."""

    file: str
    name: str
    payload: Definition
    headers: Definition | None


@dataclass
class Definitions:
    """The definitions reached from the operations of documents, found through `files`."""

    files: Files
    by_place: dict[tuple[str, str], Definition] = field(default_factory=dict)

    def message(self, document: str, operation: str, *, reply: bool = False) -> MessageAt:
        """The message of `operation` (or of its reply) in `document`, found the way
        `Contract.from_document` finds it: the operation's own `messages`, else its channel's."""
        file, pointer, node = self._follow(document, f"/operations/{_escape(operation)}", None)
        if reply:
            file, pointer, node = self._follow(file, f"{pointer}/reply", node.get("reply"))
        if node.get("messages"):
            file, pointer, _ = self._follow(file, f"{pointer}/messages/0", node["messages"][0])
        else:
            file, pointer, channel = self._follow(file, f"{pointer}/channel", node["channel"])
            key = next(iter(channel["messages"]))
            file, pointer, _ = self._follow(
                file, f"{pointer}/messages/{_escape(key)}", channel["messages"][key]
            )
        return self._message(file, pointer)

    def _message(self, file: str, pointer: str) -> MessageAt:
        _, _, message = self._follow(file, pointer, None)
        name = _pascal_case(message.get("name") or pointer.rsplit("/", 1)[-1])
        payload = self._definition(file, f"{pointer}/payload", message.get("payload") or {}, name)
        headers = None
        if message.get("headers") is not None:
            headers = self._definition(
                file, f"{pointer}/headers", message["headers"], f"{name}Headers"
            )
        return MessageAt(file, name, payload, headers)

    def _definition(self, file: str, pointer: str, node: Json, name: str) -> Definition:
        """The definition at `pointer` of `file`: `node` if it is written there, the one it
        refers to if it is a reference (named after the reference's pointer)."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            file, pointer, node = self.files.target(file, node["$ref"])
            name = _pascal_case(pointer.rsplit("/", 1)[-1])
        key = (file, pointer)
        if key not in self.by_place:
            # A reference's own place never names it: the target's pointer does.
            uses = tuple(self._definition(file, pointer, ref, "") for ref in _references(node))
            self.by_place[key] = Definition(name, file, pointer, node, uses)
        return self.by_place[key]

    def _follow(self, file: str, pointer: str, node: Json) -> tuple[str, str, Json]:
        """`node` (read at `pointer` when None), and what it refers to while it is a `$ref`."""
        if node is None:
            _, _, node = self.files.target(file, f"#{pointer}")
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            file, pointer, node = self.files.target(file, node["$ref"])
        return file, pointer, node


def written(definition: Definition, name_of: Any) -> Json:
    """The schema of `definition` with each reference replaced by `name_of(the definition it
    points at)`, as the loader replaces a reference by its target (keys beside `$ref` drop)."""
    uses = iter(definition.uses)

    def walk(node: Json) -> Json:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                return name_of(next(uses))
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(definition.schema)


def reached(roots: list[Definition]) -> list[Definition]:
    """`roots` and every definition they use, each after those it uses (depth first)."""
    order: dict[tuple[str, str], Definition] = {}

    def visit(definition: Definition, path: tuple[tuple[str, str], ...]) -> None:
        key = (definition.file, definition.pointer)
        if key in path:
            raise ValueError(
                f"{definition.file}#{definition.pointer}: a schema that contains itself"
            )
        if key in order:
            return
        for used in definition.uses:
            visit(used, (*path, key))
        order[key] = definition

    for root in roots:
        visit(root, ())
    return list(order.values())


def in_file_order(definitions: list[Definition], files: Files) -> list[Definition]:
    """`definitions` in the order their files write them, each after those of them it uses."""
    chosen = {(d.file, d.pointer) for d in definitions}
    done: set[tuple[str, str]] = set()
    ordered: list[Definition] = []

    def place(definition: Definition) -> tuple[str, tuple[int, ...]]:
        node, at = files.raw(definition.file), []
        for part in definition.pointer.split("/")[1:]:
            key = part.replace("~1", "/").replace("~0", "~")
            index = int(key) if isinstance(node, list) else list(node).index(key)
            at.append(index)
            node = node[index] if isinstance(node, list) else node[key]
        return definition.file, tuple(at)

    def emit(definition: Definition) -> None:
        key = (definition.file, definition.pointer)
        if key in done:
            return
        done.add(key)  # `reached` has refused cycles
        for used in definition.uses:
            if (used.file, used.pointer) in chosen:
                emit(used)
        ordered.append(definition)

    for definition in sorted(definitions, key=place):
        emit(definition)
    return ordered


def _references(node: Json) -> list[Json]:
    """The `$ref`s inside a schema, in the order `written` meets them."""
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            return [node]
        return [ref for value in node.values() for ref in _references(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _references(item)]
    return []


def _escape(key: str) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _pascal_case(name: str) -> str:
    """OrderLine stays; order_line and order-line become OrderLine."""
    parts = re.split(r"[^A-Za-z0-9]+", name)
    return "".join(part[:1].upper() + part[1:] for part in parts if part)


def _snake_case(name: str) -> str:
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.replace("-", "_"))
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).replace(".", "_").lower()
