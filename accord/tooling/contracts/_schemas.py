"""The JSON Schemas vendored in accord/tooling/contracts/schemas (see its README), read once."""

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema


@cache
def load_schema(file: str) -> Any:
    text = resources.files("accord.tooling.contracts").joinpath("schemas", file).read_text("utf-8")
    return json.loads(text)


@cache
def asyncapi_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(load_schema("asyncapi-3.0.0.json"))


@cache
def jetstream_validator(part: str) -> jsonschema.Draft202012Validator:
    """A validator for one `$defs` entry of x-jetstream.json: document, channel or consumer."""
    defs = load_schema("x-jetstream.json")["$defs"]
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{part}", "$defs": defs})
