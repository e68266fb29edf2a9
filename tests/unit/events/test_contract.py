"""The orders and notifications contracts read as the runtime reads them.

Orders declares the streams and publishes; notifications holds the durable consumer of
placed orders, on orders' ORDERS stream, and declares its own dead-letter stream.
"""

import importlib
from pathlib import Path

import pytest

from accord.events import ConsumerSpec, Contract, StreamSpec, load_document
from accord.events._document import service_documents


@pytest.fixture(scope="module")
def orders(repo_root: Path) -> Contract:
    return Contract.from_document(load_document(repo_root / "asyncapi" / "orders.yaml"))


@pytest.fixture(scope="module")
def notifications(repo_root: Path) -> Contract:
    return Contract.from_document(load_document(repo_root / "asyncapi" / "notifications.yaml"))


def test_streams_come_from_the_document_root(orders: Contract, notifications: Contract) -> None:
    assert orders.streams[0] == StreamSpec(
        name="ORDERS",
        subjects=("acme.orders.v1.order.>",),
        max_age=7 * 86400.0,
        duplicate_window=120.0,
        description="Every order event, kept for a week so that new consumers can replay.",
    )
    assert [s.name for s in orders.streams] == ["ORDERS", "ORDERS_DEADLETTER"]
    assert [s.name for s in notifications.streams] == [
        "NOTIFICATIONS",
        "NOTIFICATIONS_EMAIL",
        "NOTIFICATIONS_WEBHOOKS",
        "NOTIFICATIONS_DEADLETTER",
    ]
    assert notifications.streams[-1] == StreamSpec(
        name="NOTIFICATIONS_DEADLETTER",
        subjects=("acme.notifications.v1.deadletter.>",),
        max_age=30 * 86400.0,
        duplicate_window=120.0,
        description="Events the notifications service could not handle: the original "
        "payload, the original headers and the reason, kept for a month for inspection "
        "and replay.",
    )


def test_the_durable_consumer_comes_from_the_receive_operation(notifications: Contract) -> None:
    assert notifications.operation("receiveOrderPlaced").consumer == ConsumerSpec(
        durable="notifications-order-placed",
        stream="ORDERS",
        subject="acme.orders.v1.order.placed",
        ack_wait=30.0,
        max_deliver=5,
        backoff=(1.0, 5.0, 30.0, 120.0),
        dead_letter="acme.notifications.v1.deadletter.order-placed",
        max_ack_pending=256,
        fetch_batch=16,
    )


def test_retry_delays_follow_the_backoff_and_repeat_its_last(notifications: Contract) -> None:
    consumer = notifications.operation("receiveOrderPlaced").consumer
    assert consumer is not None
    assert [consumer.retry_delay(n) for n in range(1, 7)] == [1, 5, 30, 120, 120, 120]
    assert consumer.heartbeat_every == 15.0
    assert ConsumerSpec("d", "S", "s").retry_delay(1) == 0.0  # no backoff: NAK at once


def test_messages_carry_their_resolved_schemas_and_event_type(
    orders: Contract, notifications: Contract
) -> None:
    message = orders.operation("sendOrderStatusChanged").message
    assert message.name == "OrderStatusChanged"
    assert message.event_type == "acme.orders.v1.order.status_changed"
    assert message.payload_schema["properties"]["status"]["enum"][0] == "PENDING"
    assert "$ref" not in str(message.payload_schema)
    # notifications refers to the message in orders.yaml: the consumer reads what is sent.
    received = notifications.operation("receiveOrderPlaced").message
    assert received.event_type == "acme.orders.v1.order.placed"
    assert "$ref" not in str(received.payload_schema)
    assert received == orders.operation("sendOrderPlaced").message


def test_references_to_other_files_are_inlined_and_cycles_refused(tmp_path: Path) -> None:
    (tmp_path / "common.yaml").write_text("schemas:\n  Id: {type: string, minLength: 1}\n")
    (tmp_path / "doc.yaml").write_text(
        "a: {$ref: 'common.yaml#/schemas/Id'}\nc: {$ref: '#/d'}\nd: {$ref: '#/c'}\n"
    )
    with pytest.raises(ValueError, match="reference cycle"):
        load_document(tmp_path / "doc.yaml")
    (tmp_path / "doc.yaml").write_text("a: {$ref: 'common.yaml#/schemas/Id'}\nb: {$ref: '#/a'}\n")
    document = load_document(tmp_path / "doc.yaml")
    assert document == {"a": {"type": "string", "minLength": 1}, "b": document["a"]}


REPOSITORY = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("document", service_documents(REPOSITORY), ids=lambda path: path.stem)
def test_the_generated_contract_is_the_one_the_document_says(document: Path) -> None:
    """contract.py of each package is a literal of what the runtime reads from the YAML."""
    generated = importlib.import_module(f"acme_events.{document.stem}").CONTRACT
    assert generated == Contract.from_document(load_document(document))
