"""JSON payloads exactly as the contract writes them.

asyncapi-python's JSON codec dumps field names in Python spelling (`order_id`, not the
schema's `orderId`) and sends unset optional fields as `null`, which the schema itself
rejects. Here every payload is dumped by alias with unset fields left out, and checked
against the document's JSON Schema, compiled once per message, in both directions.
"""

import json
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import jsonschema
from jsonschema.exceptions import best_match
from pydantic import BaseModel, ValidationError

from accord.events._contract import JsonSchema, MessageSpec
from accord.events._errors import ContractViolation

P = TypeVar("P", bound=BaseModel)


class SchemaCheck:
    """A JSON Schema compiled once, raising ContractViolation with the failing path."""

    def __init__(self, schema: JsonSchema, what: str) -> None:
        validator_class = jsonschema.validators.validator_for(schema, jsonschema.Draft7Validator)
        self._validator = validator_class(schema, format_checker=jsonschema.FormatChecker())
        self._what = what

    def check(self, value: Any) -> None:
        error = best_match(self._validator.iter_errors(value))
        if error is not None:
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            raise ContractViolation(
                f"{self._what} does not match the contract at {where}: {error.message}"
            )


class PayloadCodec(Generic[P]):
    """Encodes and decodes one message's payload model; one instance per endpoint."""

    def __init__(self, model: type[P], spec: MessageSpec) -> None:
        self.model = model
        self.spec = spec
        self._payload = SchemaCheck(spec.payload_schema, f"payload of {spec.name}")
        self._headers = (
            SchemaCheck(spec.headers_schema, f"headers of {spec.name}")
            if spec.headers_schema
            else None
        )

    def encode(self, payload: P) -> bytes:
        if not isinstance(payload, self.model):
            raise TypeError(
                f"{self.spec.name} needs a {self.model.__name__}, not {type(payload).__name__}"
            )
        data = payload.model_dump(mode="json", by_alias=True, exclude_unset=True)
        self._payload.check(data)
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()

    def decode(self, body: bytes) -> P:
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ContractViolation(f"payload of {self.spec.name} is not JSON: {error}") from None
        self._payload.check(data)
        try:
            return self.model.model_validate(data)
        except ValidationError as error:
            raise ContractViolation(f"payload of {self.spec.name}: {error}") from None

    def check_headers(self, headers: Mapping[str, str]) -> None:
        if self._headers is not None:
            self._headers.check(dict(headers))
