"""Request/reply over core NATS: typed, with per-call timeouts and clear errors."""

import asyncio
from types import ModuleType
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient

from accord.events import (
    Contract,
    EventContext,
    NoResponderError,
    RemoteHandlerError,
    RequestTimeout,
)
from tests.integration.events._support import kit_app

pytestmark = pytest.mark.integration


async def test_a_request_gets_its_typed_reply(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    server = kit_app(kit, nats_client, kit_contract, provision=False, source="/kit/server")
    client = kit_app(kit, nats_client, kit_contract, provision=False)
    models = kit.messages.json

    async def lookup(request: Any, event: EventContext) -> Any:
        assert event.source == "/kit"
        return models.LookupReply(key=request.key, value=request.key.upper())

    server.consumer.serve_lookup(lookup)

    async with server:
        reply = await client.producer.ask_lookup(models.LookupRequest(key="abc"), timeout=5)
    assert reply == models.LookupReply(key="abc", value="ABC")


async def test_no_responder_is_a_clear_error_at_once(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    client = kit_app(kit, nats_client, kit_contract, provision=False)
    subject = kit_contract.operation("askLookup").address
    with pytest.raises(NoResponderError, match=f"no responder on subject '{subject}'"):
        await client.producer.ask_lookup(kit.messages.json.LookupRequest(key="k"), timeout=30)


async def test_a_slow_responder_times_out_per_call_and_by_the_settings(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    """The application's request_timeout reaches the endpoint (asyncapi-python keeps 180s)."""
    server = kit_app(kit, nats_client, kit_contract, provision=False)
    client = kit_app(kit, nats_client, kit_contract, provision=False, request_timeout=0.3)
    models = kit.messages.json

    async def slow(request: Any, event: EventContext) -> Any:
        await asyncio.sleep(request.delay_seconds or 0)
        return models.LookupReply(key=request.key, value="late")

    server.consumer.serve_lookup(slow)

    async with server:
        with pytest.raises(RequestTimeout, match=r"within 0\.3s"):
            await client.producer.ask_lookup(models.LookupRequest(key="a", delay_seconds=1.0))
        with pytest.raises(RequestTimeout, match=r"within 0\.1s"):
            await client.producer.ask_lookup(
                models.LookupRequest(key="b", delay_seconds=1.0), timeout=0.1
            )
        quick = await client.producer.ask_lookup(models.LookupRequest(key="c"), timeout=5)
    assert quick.value == "late"


async def test_a_failing_responder_answers_with_its_error(
    kit: ModuleType, nats_client: NatsClient, kit_contract: Contract
) -> None:
    server = kit_app(kit, nats_client, kit_contract, provision=False)
    models = kit.messages.json

    async def broken(request: Any, event: EventContext) -> Any:
        raise KeyError(request.key)

    server.consumer.serve_lookup(broken)

    async with server:
        with pytest.raises(RemoteHandlerError, match="KeyError: 'missing'"):
            await server.producer.ask_lookup(models.LookupRequest(key="missing"), timeout=5)
