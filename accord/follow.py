"""Follow a subject of a stream, live, without a consumer: for watch and subscribe calls.

A consumer per watching client is server state that each client can multiply (nats-py's
ordered consumers also outlive their call by minutes). Here a core NATS subscription on the
subject only wakes the reader up; what it yields is read from the stream with batched
direct gets (`accord.direct`), after the last sequence it yielded: in stream order, each
message once, none missed. A wake-up lost while the connection was down is made up by a
read every `poll_every` seconds. Everything ends with the call: the subscription goes when
the caller stops iterating (a cancelled gRPC call closes the generator).
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from accord.direct import StoredMsg, next_after

POLL_EVERY = 5.0
_BATCH = 64


async def follow(
    js: JetStreamContext,
    stream: str,
    subject: str,
    after: int,
    *,
    poll_every: float = POLL_EVERY,
) -> AsyncIterator[StoredMsg]:
    """Every message stored on `subject` after stream sequence `after`, then each one stored
    later, as it comes, until the caller stops."""
    nc: NatsClient = js._nc  # nats-py keeps the context's connection private
    wake = asyncio.Event()

    async def woken(_msg: Msg) -> None:
        wake.set()

    # Subscribed before the first read: whatever is stored after that read wakes us.
    subscription = await nc.subscribe(subject, cb=woken)
    try:
        cursor = after
        while True:
            wake.clear()
            batch = await next_after(js, stream, subject, cursor, _BATCH)
            for msg in batch.messages:
                cursor = msg.sequence
                yield msg
            if batch.pending:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), poll_every)
    finally:
        with contextlib.suppress(Exception):  # the connection may be closing already
            await subscription.unsubscribe()
