"""Pydantic models of one package's payload definitions, through datamodel-code-generator.

Each definition the package owns that is a model (an object or an enum) becomes a class. A
model another package owns is not generated again: it stands in the input as datamodel-code-
generator's `x-python-import` (a supported schema extension), so the class is imported from
its owner. A constrained string or number (an id, a currency) is written into each field
that uses it, as before.
"""

import ast
import json
import re
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accord.tooling.codegen._definitions import Definition, Json, written

# The input's own root: a class that holds nothing, which the module leaves out.
_HOLDER = re.compile(r"\nclass Model\(RootModel\[Any\]\):\n    root: Any\n")


def render_models(owned: list[Definition], module_of: Callable[[Definition], str]) -> str:
    """The models module of `owned` (the definitions of one package, each after those it
    uses); `module_of` names the models module of any definition's owner."""
    own = {(d.file, d.pointer) for d in owned}
    if any(d.name == "Model" for d in owned):
        raise ValueError("a schema named Model would clash with datamodel-code-generator's root")
    defs: dict[str, Json] = {}
    keys: dict[tuple[str, str], str] = {}

    def key_of(definition: Definition) -> str:
        place = (definition.file, definition.pointer)
        if place not in keys:
            keys[place] = _unique_key(definition.name, defs)
            defs[keys[place]] = {}  # reserved before its uses are written
            if place not in own and definition.model:
                defs[keys[place]] = {
                    "x-python-import": {"module": module_of(definition), "name": definition.name}
                }
            else:
                defs[keys[place]] = _with_local_refs(definition, key_of)
        return keys[place]

    for definition in owned:
        if definition.model:
            key_of(definition)
    code = _generate({"$schema": "http://json-schema.org/draft-07/schema#", "$defs": defs})
    missing = [d.name for d in owned if d.model and f"\nclass {d.name}(" not in code]
    if missing:
        raise ValueError(f"datamodel-code-generator named no class {', '.join(missing)}")
    body = "\n".join(line for line in code.splitlines() if not line.startswith("#"))
    return _HOLDER.sub("\n", body).strip() + "\n"


def _with_local_refs(definition: Definition, key_of: Callable[[Definition], str]) -> Json:
    return written(definition, lambda used: {"$ref": f"#/$defs/{key_of(used)}"})


def _unique_key(name: str, taken: dict[str, Json]) -> str:
    key, n = name, 2
    while key in taken:
        key, n = f"{name}{n}", n + 1
    return key


def _generate(schema: Json) -> str:
    return pydantic_models(
        schema,
        "3.10",  # Enum, not StrEnum: as before
        allow_extra_fields=True,
        capitalise_enum_members=True,
        snake_case_field=True,
        allow_population_by_field_name=True,
    )


def pydantic_models(schema: Json, python: str, **options: Any) -> str:
    """datamodel-code-generator's pydantic v2 models for the JSON Schema `schema`, for Python
    `python` ("3.11"), run in a scratch folder with no formatter. The house's choices for
    every models module: constraints on the fields, one class for schemas that are the same,
    root models collapsed, `X | Y` and `list[X]`; `options` add the caller's own."""
    # Codegen-only dependency, imported where it is used.
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import PythonVersion

    with tempfile.TemporaryDirectory(prefix="accord-models-") as scratch, warnings.catch_warnings():
        # It announces that black and isort will become optional; we pass no formatters.
        warnings.simplefilter("ignore", FutureWarning)
        out = Path(scratch) / "models.py"
        generate(
            json.dumps(schema),
            input_file_type=InputFileType.JsonSchema,
            output=out,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion(python),
            disable_timestamp=True,
            field_constraints=True,
            reuse_model=True,
            collapse_root_models=True,
            use_union_operator=True,
            use_standard_collections=True,
            formatters=[],
            **options,
        )
        return out.read_text()


def classes_used_by(code: str, roots: set[str]) -> set[str]:
    """The other classes of the models module `code` that `roots` use in their fields,
    however deep (an enum written inline in a payload, say)."""
    uses: dict[str, set[str]] = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.ClassDef):
            uses[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    found: set[str] = set()
    todo = list(roots)
    while todo:
        for used in uses.get(todo.pop(), set()):
            if used in uses and used not in found and used not in roots:
                found.add(used)
                todo.append(used)
    return found
