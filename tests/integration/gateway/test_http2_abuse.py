"""HTTP/2 abuse at the edge: a peer that floods PINGs without reading the answers is cut off,
while a client that pings as keepalive does, on a connection of its own, keeps its connection
and its calls. Raw HTTP/2 (the h2 package) for what no gRPC client would send."""

import asyncio
import json
import time
import urllib.request
from typing import Any

import grpc
import h2.config
import h2.connection
import h2.events
import pytest

from gateway.server import Gateway
from tests.integration.gateway.calls import Echo
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.echo_backend import EchoBackend

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]
MAX_CONTROL_FRAMES = 100
# Bounds of the flood, not timing claims: it stops by itself either way.
FLOOD_PINGS = 2_000_000
FLOOD_SECONDS = 20.0


class RawHttp2:
    """One client-side HTTP/2 connection driven frame by frame."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))

    @classmethod
    async def open(cls, port: int) -> "RawHttp2":
        raw = cls(*await asyncio.open_connection("127.0.0.1", port))
        raw.connection.initiate_connection()
        await raw.flush()
        return raw

    async def flush(self) -> None:
        self.writer.write(self.connection.data_to_send())
        await asyncio.wait_for(self.writer.drain(), 5)

    async def ping(self, number: int) -> None:
        self.connection.ping(number.to_bytes(8, "big"))
        await self.flush()

    async def answered(self, number: int) -> bool:
        """Read until the PING `number` is acknowledged (True) or the connection ends."""
        while True:
            data = await asyncio.wait_for(self.reader.read(65536), 5)
            if not data:
                return False
            for event in self.connection.receive_data(data):
                if isinstance(event, h2.events.PingAckReceived) and (
                    event.ping_data == number.to_bytes(8, "big")
                ):
                    return True
                if isinstance(event, h2.events.ConnectionTerminated):
                    return False

    def close(self) -> None:
        self.writer.close()


async def flood(port: int) -> int:
    """PINGs in batches, never reading an answer, until the edge closes the connection; the
    number sent (the bounds above stop it if the edge never does)."""
    raw = await RawHttp2.open(port)
    sent, started = 0, time.monotonic()
    try:
        while sent < FLOOD_PINGS and time.monotonic() - started < FLOOD_SECONDS:
            for _ in range(1000):
                raw.connection.ping(sent.to_bytes(8, "big"))
                sent += 1
            await raw.flush()
    except (ConnectionError, TimeoutError):
        return sent
    finally:
        raw.close()
    raise AssertionError(f"the edge kept a connection that sent {sent} unanswered PINGs")


def _flood_closures(gateway: Gateway) -> int:
    assert gateway.envoy is not None
    url = gateway.envoy.admin_url("/stats?format=json&filter=outbound_control_flood")
    with urllib.request.urlopen(url, timeout=5) as answer:
        stats = json.load(answer)["stats"]
    return sum(int(stat["value"]) for stat in stats if "value" in stat)


async def test_a_ping_flood_is_cut_off_and_a_pinging_client_keeps_its_connection(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]},
        http2_max_outbound_control_frames=MAX_CONTROL_FRAMES,
    )
    # A client that pings often (as keepalive), reading each answer, and calls on its own
    # connection, before and after the flood.
    steady = await RawHttp2.open(gateway.port)
    pushy = [("grpc.keepalive_time_ms", 1000), ("grpc.keepalive_permit_without_calls", 1)]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}", options=pushy) as channel:
        echo = Echo(channel, echo_types)
        await echo.unary()(echo.request(text="before"))
        for number in range(20):
            await steady.ping(number)
            assert await steady.answered(number)
        sent = await flood(gateway.port)
        for number in range(20, 40):
            await steady.ping(number)
            assert await steady.answered(number), "a well-behaved connection was closed"
        answer = await echo.unary()(echo.request(text="after"))
        assert channel.get_state() == grpc.ChannelConnectivity.READY
    steady.close()
    assert answer.text == "after"
    assert _flood_closures(gateway) == 1
    assert sent > MAX_CONTROL_FRAMES
