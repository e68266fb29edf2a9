"""Connecting to a nats-server of the generated configuration as a given identity.

`await as_identity(server, "orders")` is the orders service's connection (its nkey, its
inbox), `as_identity(server, OPERATOR)` the operator's; `nats.connect(server.url)` is the
developer's (every permission, development only); `nats.connect(server.address)` is
anonymous, and refused. A `Probe` records the permission violations the server reports.
"""

import asyncio
import contextlib
import re
from dataclasses import dataclass, field

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from accord.nats_auth import OPERATOR, connect_as, development_seed, operator_seed
from accord.settings import CommonSettings
from accord.tooling.nats_server import NatsServer

_VIOLATION = re.compile(r'permissions violation for (publish|subscription) to "([^"]+)"', re.I)


@dataclass
class Probe:
    """A connection and the violations the server reported on it: (kind, subject)."""

    nc: NatsClient
    denied: set[tuple[str, str]] = field(default_factory=set)
    reported: asyncio.Event = field(default_factory=asyncio.Event)

    async def denials(self, expected: int, timeout: float = 5.0) -> set[tuple[str, str]]:
        """Once `expected` violations came (or `timeout` passed): all that came."""
        await self.nc.flush()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while len(self.denied) < expected:
                    self.reported.clear()
                    await self.reported.wait()
        await asyncio.sleep(0.1)  # one more round trip: nothing unexpected is late
        await self.nc.flush()
        return set(self.denied)


def seed_of(identity: str) -> str:
    settings = CommonSettings()
    return operator_seed(settings) if identity == OPERATOR else development_seed(settings, identity)


async def as_identity(server: NatsServer, identity: str) -> NatsClient:
    return await connect_as([server.address], identity, seed_of(identity), allow_reconnect=False)


async def probe(server: NatsServer, identity: str) -> Probe:
    found: set[tuple[str, str]] = set()
    reported = asyncio.Event()

    async def error(exc: Exception) -> None:
        if match := _VIOLATION.search(str(exc)):
            found.add((match.group(1).lower(), match.group(2)))
            reported.set()

    nc = await connect_as(
        [server.address], identity, seed_of(identity), allow_reconnect=False, error_cb=error
    )
    return Probe(nc, found, reported)


async def stored(nc: NatsClient, subject: str, timeout: float = 0.5) -> list[Msg]:
    """Every message stored on `subject` so far, oldest first, as any client reads them: an
    ordered consumer from the start of the stream that stops at the last one (or once none
    came for `timeout` seconds)."""
    found: list[Msg] = []
    subscription = await nc.jetstream().subscribe(subject, ordered_consumer=True)
    try:
        while True:
            try:
                msg = await subscription.next_msg(timeout=timeout)
            except nats.errors.TimeoutError:
                return found
            found.append(msg)
            if msg.metadata.num_pending == 0:
                return found
    finally:
        await subscription.unsubscribe()


async def dead_letter_reason(nc: NatsClient, subject: str, event_id: str) -> str | None:
    """The reason of the dead-letter record of event `event_id` on `subject`, if there is
    one yet."""
    for msg in await stored(nc, subject):
        headers = msg.headers or {}
        if headers.get("ce-id") == event_id:
            return headers.get("accord-dead-letter-reason")
    return None
