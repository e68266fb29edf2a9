"""Helpers of the event runtime tests."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from acme_events.orders.messages.json import OrderLine, OrderPlacedPayload
from nats.aio.client import Client as NatsClient

from accord.events import ConsumerSpec, Contract, EventSettings


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


def renamed(document: dict[str, Any], unique: str) -> Contract:
    """The contract with every subject, stream, bucket and durable name made this test's own.

    The renaming depends only on the name and `unique`, so contracts renamed with one
    `unique` still fit together: a consumer of one contract on a stream another declares
    (notifications' receiveOrderPlaced on orders' ORDERS) names the renamed stream.
    """

    def visit(node: Any, key: str | None) -> Any:
        if isinstance(node, dict):
            return {k: visit(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [visit(item, key) for item in node]
        if not isinstance(node, str):
            return node
        if key in ("name", "stream") and node.isupper():
            return f"{node}_{unique}"
        if key == "durable":
            return f"{node}-{unique}"
        if key == "bucket":
            return f"{node}_{unique}"
        if key in ("address", "subjects", "deadLetter"):
            return f"t{unique}.{node}"
        return node

    return Contract.from_document(visit(document, None))


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
