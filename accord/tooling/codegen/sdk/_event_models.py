"""Pydantic models of event payloads, through datamodel-code-generator, with the names the
AsyncAPI documents give their schemas (not names guessed from inlined copies).

Each `$ref` of a payload becomes an entry of one `$defs` map, named after the last part of
its pointer (`#/components/schemas/Money` → `Money`), so a shared schema is one class.
"""

import json
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

from accord.events._document import load_yaml

Json = Any


def payload_schemas(document: Path, messages: dict[str, str]) -> dict[str, Json]:
    """A JSON Schema whose `$defs` hold each message's payload under the model name given in
    `messages` (message pointer in `document` → name), and everything they refer to."""
    loaded: dict[Path, Json] = {}
    definitions: dict[str, Json] = {}
    named: dict[str, str] = {}  # "<file>#<pointer>" → its name in $defs

    def read(path: Path) -> Json:
        if path not in loaded:
            loaded[path] = load_yaml(path.read_text(encoding="utf-8"))
        return loaded[path]

    def follow(path: Path, pointer: str) -> Json:
        node = read(path)
        for part in pointer.lstrip("/").split("/") if pointer.strip("/") else []:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def define(path: Path, pointer: str, name: str | None = None) -> str:
        key = f"{path}#{pointer}"
        if key in named:
            return named[key]
        base = name or pointer.rstrip("/").rsplit("/", 1)[-1]
        chosen, n = base, 2
        while chosen in definitions:
            chosen, n = f"{base}{n}", n + 1
        named[key] = chosen
        definitions[chosen] = {}  # reserved before the walk: recursive schemas terminate
        definitions[chosen] = rewrite(follow(path, pointer), path)
        return chosen

    def rewrite(node: Json, base: Path) -> Json:
        if isinstance(node, list):
            return [rewrite(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            file_part, _, pointer = ref.partition("#")
            target = (base.parent / file_part).resolve() if file_part else base
            return {"$ref": f"#/$defs/{define(target, pointer)}"}
        return {key: rewrite(value, base) for key, value in node.items()}

    root = document.resolve()
    for pointer, name in messages.items():
        message = follow(root, pointer)
        while isinstance(message, dict) and "$ref" in message:  # a message that is a reference
            file_part, _, inner = message["$ref"].partition("#")
            root_of = (root.parent / file_part).resolve() if file_part else root
            message, root, pointer = follow(root_of, inner), root_of, inner
        payload = message.get("payload", {})
        if isinstance(payload, dict) and "$ref" in payload:
            file_part, _, inner = payload["$ref"].partition("#")
            target = (root.parent / file_part).resolve() if file_part else root
            key = f"{target}#{inner}"
            if key in named:  # the same schema as another event's payload: alias it
                definitions[name] = {"$ref": f"#/$defs/{named[key]}"}
            else:
                define(target, inner, name)
        else:
            definitions[name] = rewrite(payload, root)
        root = document.resolve()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": definitions}


def render_models(schema: Json) -> str:
    """The models module for `schema`'s `$defs`, deterministic byte for byte."""
    # Codegen-only dependencies, imported where they are used.
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import PythonVersion

    with (
        tempfile.TemporaryDirectory(prefix="accord-sdk-models-") as scratch,
        warnings.catch_warnings(),
    ):
        # It announces that black and isort will become optional; we pass no formatters.
        warnings.simplefilter("ignore", FutureWarning)
        out = Path(scratch) / "models.py"
        generate(
            json.dumps(schema),
            input_file_type=InputFileType.JsonSchema,
            output=out,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            disable_timestamp=True,
            use_schema_description=True,
            field_constraints=True,
            use_standard_collections=True,
            use_union_operator=True,
            use_double_quotes=True,
            use_title_as_name=False,
            reuse_model=True,
            collapse_root_models=True,
            class_name="_Document",
            formatters=[],
        )
        text = out.read_text()
    # The tool's banner, and the empty root model of the `$defs` holder, say nothing.
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    return _HOLDER.sub("\n", body).strip() + "\n"


_HOLDER = re.compile(r"\n+class FieldDocument\(RootModel\[Any\]\):\n    root: Any\n")
