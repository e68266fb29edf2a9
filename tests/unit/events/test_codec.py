"""Payloads on the wire exactly as the schema spells them (asyncapi-python defects 1 and 2)."""

import json
from pathlib import Path

import pytest
from acme_events.orders.messages.json import OrderLine, OrderPlacedPayload
from asyncapi_python.contrib.codec.json import JsonCodec

from accord.events import Contract, ContractViolation, PayloadCodec, load_document


@pytest.fixture(scope="module")
def codec(repo_root: Path) -> PayloadCodec[OrderPlacedPayload]:
    contract = Contract.from_document(load_document(repo_root / "asyncapi" / "orders.yaml"))
    return PayloadCodec(OrderPlacedPayload, contract.operation("sendOrderPlaced").message)


def order(**extra: object) -> OrderPlacedPayload:
    return OrderPlacedPayload(
        order_id="o-1",
        customer_id="c-1",
        total_cents=990,
        currency="EUR",
        lines=[OrderLine(sku="A", quantity=1)],
        **extra,
    )


EXPECTED = {
    "orderId": "o-1",
    "customerId": "c-1",
    "totalCents": 990,
    "currency": "EUR",
    "lines": [{"sku": "A", "quantity": 1}],
}


def test_names_are_the_schemas_and_unset_optionals_are_absent(
    codec: PayloadCodec[OrderPlacedPayload],
) -> None:
    assert json.loads(codec.encode(order())) == EXPECTED


def test_the_stock_codec_gets_both_wrong(codec: PayloadCodec[OrderPlacedPayload]) -> None:
    """What asyncapi-python 0.3.1 sends for the same model: why we have our own codec."""
    stock = json.loads(JsonCodec(OrderPlacedPayload).encode(order()))
    assert "order_id" in stock
    assert stock["note"] is None
    assert json.loads(codec.encode(order())) != stock


def test_decoding_gives_the_typed_payload_back(codec: PayloadCodec[OrderPlacedPayload]) -> None:
    sent = order(note="ring twice")
    assert codec.decode(codec.encode(sent)) == sent


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({**EXPECTED, "note": None}, "at note"),
        ({**EXPECTED, "surprise": 1}, r"at \(root\)"),
    ],
)
def test_what_the_models_accept_but_the_schema_does_not_is_refused_both_ways(
    codec: PayloadCodec[OrderPlacedPayload], payload: dict[str, object], where: str
) -> None:
    """The generated models allow extra fields and explicit nulls; the schema does not."""
    with pytest.raises(ContractViolation, match=where):
        codec.decode(json.dumps(payload).encode())
    model = OrderPlacedPayload.model_validate(payload)
    with pytest.raises(ContractViolation, match=where):
        codec.encode(model)


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({**EXPECTED, "lines": []}, "at lines"),
        ({k: v for k, v in EXPECTED.items() if k != "currency"}, r"at \(root\): 'currency'"),
    ],
)
def test_an_invalid_payload_is_refused_on_decoding_with_its_path(
    codec: PayloadCodec[OrderPlacedPayload], payload: dict[str, object], where: str
) -> None:
    with pytest.raises(ContractViolation, match=where):
        codec.decode(json.dumps(payload).encode())


def test_bytes_that_are_not_json_are_a_contract_violation(
    codec: PayloadCodec[OrderPlacedPayload],
) -> None:
    with pytest.raises(ContractViolation, match="is not JSON"):
        codec.decode(b"\xff")
