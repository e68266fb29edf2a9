"""Pydantic models of event payloads, through datamodel-code-generator, with the names the
AsyncAPI documents give their schemas (not names guessed from inlined copies).

Each `$ref` of a payload becomes an entry of one `$defs` map, named after the last part of
its pointer (`#/components/schemas/Money` → `Money`), so a shared schema is one class.
"""

import re
from pathlib import Path
from typing import Any

from accord.events._document import Files
from accord.tooling.codegen._models import pydantic_models

Json = Any


def payload_schemas(document: Path, messages: dict[str, str]) -> dict[str, Json]:
    """A JSON Schema whose `$defs` hold each message's payload under the model name given in
    `messages` (message pointer in `document` → name), and everything they refer to."""
    # References are followed by the house's one reader of AsyncAPI files; files are named
    # from the file system's root, so that `../` in a reference means what it says.
    files = Files(lambda name: Path("/", name).read_text(encoding="utf-8"))
    definitions: dict[str, Json] = {}
    named: dict[str, str] = {}  # "<file>#<pointer>" → its name in $defs

    def define(file: str, pointer: str, node: Json, name: str | None = None) -> str:
        key = f"{file}#{pointer}"
        if key in named:
            return named[key]
        base = name or pointer.rstrip("/").rsplit("/", 1)[-1]
        chosen, n = base, 2
        while chosen in definitions:
            chosen, n = f"{base}{n}", n + 1
        named[key] = chosen
        definitions[chosen] = {}  # reserved before the walk: recursive schemas terminate
        definitions[chosen] = rewrite(node, file)
        return chosen

    def rewrite(node: Json, base: str) -> Json:
        if isinstance(node, list):
            return [rewrite(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            return {"$ref": f"#/$defs/{define(*files.target(base, ref))}"}
        return {key: rewrite(value, base) for key, value in node.items()}

    start = document.resolve().as_posix().lstrip("/")
    for pointer, name in messages.items():
        file, _, message = files.target(start, f"#{pointer}")
        while isinstance(message, dict) and "$ref" in message:  # a message that is a reference
            file, _, message = files.target(file, message["$ref"])
        payload = message.get("payload", {})
        if isinstance(payload, dict) and "$ref" in payload:
            target, inner, node = files.target(file, payload["$ref"])
            key = f"{target}#{inner}"
            if key in named:  # the same schema as another event's payload: alias it
                definitions[name] = {"$ref": f"#/$defs/{named[key]}"}
            else:
                define(target, inner, node, name)
        else:
            definitions[name] = rewrite(payload, file)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": definitions}


def render_models(schema: Json) -> str:
    """The models module for `schema`'s `$defs`, deterministic byte for byte."""
    text = pydantic_models(
        schema,
        "3.11",
        use_schema_description=True,
        use_double_quotes=True,
        use_title_as_name=False,
        class_name="_Document",
    )
    # The tool's banner, and the empty root model of the `$defs` holder, say nothing.
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return _HOLDER.sub("\n", body).strip() + "\n"


_HOLDER = re.compile(r"\n+class FieldDocument\(RootModel\[Any\]\):\n    root: Any\n")
