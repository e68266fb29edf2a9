"""Helpers of the event runtime tests."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from types import ModuleType
from typing import Any

from acme_events.orders.messages.json import OrderLine, OrderPlacedPayload
from nats.aio.client import Client as NatsClient

from accord.events import ConsumerSpec, Contract, EventSettings, MessageSpec, OperationSpec
from accord.events._contract import _const_event_type


def placed(order_id: str = "o-1") -> OrderPlacedPayload:
    """An order-placed event as orders sends it. `note` and `unitPriceCents` are left unset:
    they must not appear on the wire."""
    return OrderPlacedPayload(
        order_id=order_id,
        customer_id="c-7",
        total_cents=2500,
        currency="EUR",
        lines=[OrderLine(sku="SKU-1", quantity=2)],
    )


def kit_app(kit: ModuleType, nc: NatsClient, contract: Contract, **settings: Any) -> Any:
    """The generated kit application over `contract`: it provisions what it uses unless told
    otherwise, and starts without a handler for every operation."""
    options = {"source": "/kit", "provision": True, "require_handlers": False, **settings}
    return kit.Application(nc, settings=EventSettings(**options), contract=contract)


def consumer_of(contract: Contract, operation: str) -> ConsumerSpec:
    consumer = contract.operation(operation).consumer
    assert consumer is not None
    return consumer


def renamed(contract: Contract, unique: str) -> Contract:
    """The contract with every subject, stream, bucket and durable name made this test's own.

    The renaming depends only on the name and `unique`, so contracts renamed with one
    `unique` still fit together: a consumer of one contract on a stream another declares
    (notifications' receiveOrderPlaced on orders' ORDERS) names the renamed stream. An event
    type the contract derives from the address follows it; one a headers schema pins stays.
    """

    def subject(value: str) -> str:
        return f"t{unique}.{value}"

    def stream(name: str) -> str:
        return f"{name}_{unique}"

    def message(spec: MessageSpec, address: str) -> MessageSpec:
        if _const_event_type(spec.headers_schema) is not None:
            return spec
        return replace(
            spec, event_type=subject(address) if spec.event_type == address else spec.event_type
        )

    def operation(op: OperationSpec) -> OperationSpec:
        consumer = op.consumer and replace(
            op.consumer,
            durable=f"{op.consumer.durable}-{unique}",
            stream=stream(op.consumer.stream),
            subject=subject(op.consumer.subject),
            dead_letter=op.consumer.dead_letter and subject(op.consumer.dead_letter),
        )
        return replace(
            op,
            address=subject(op.address),
            message=message(op.message, op.address),
            reply=op.reply and message(op.reply, op.address),
            consumer=consumer,
        )

    return replace(
        contract,
        streams=tuple(
            replace(s, name=stream(s.name), subjects=tuple(map(subject, s.subjects)))
            for s in contract.streams
        ),
        buckets=tuple(replace(b, bucket=f"{b.bucket}_{unique}") for b in contract.buckets),
        operations={key: operation(op) for key, op in contract.operations.items()},
    )


async def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until `check()` holds; fail (not hang) after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)
