"""keys_matching lists every live key of a pattern, also while other keys are being written."""

import asyncio

import pytest
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig

from accord.kv import keys_matching

pytestmark = pytest.mark.integration


async def test_live_keys_of_the_pattern_only(jetstream: JetStreamContext, unique: str) -> None:
    kv = await jetstream.create_key_value(
        KeyValueConfig(bucket=f"keys-{unique}", history=4, direct=True)
    )
    try:
        assert await keys_matching(kv, "customer.alice.*") == []
        for key in ("customer.alice.1", "customer.alice.2", "customer.bob.1", "order.1"):
            await kv.put(key, b"v")
        await kv.put("customer.alice.1", b"v2")
        await kv.delete("customer.alice.2")
        await kv.put("customer.alice.3", b"v")
        assert sorted(await keys_matching(kv, "customer.alice.*")) == [
            "customer.alice.1",
            "customer.alice.3",
        ]
    finally:
        await jetstream.delete_key_value(f"keys-{unique}")


async def test_every_key_is_listed_while_others_write(
    jetstream: JetStreamContext, unique: str
) -> None:
    # nats-py's watch-based listing could answer "no keys" here: it decided "nothing stored"
    # from consumer info taken after the server had pushed every entry.
    kv = await jetstream.create_key_value(
        KeyValueConfig(bucket=f"churn-{unique}", history=1, direct=True)
    )
    keys = {f"demand.r{n}.d" for n in range(100)}
    for key in sorted(keys):
        await kv.put(key, b"x")

    stop = asyncio.Event()

    async def churn() -> None:
        # Stopped by a flag, not by cancel: Python 3.11's wait_for (inside nats-py's request)
        # can swallow a cancellation that lands as its reply arrives.
        n = 0
        while not stop.is_set():
            n += 1
            await kv.put(f"demand.r{n % 100}.d", b"y")
            await asyncio.sleep(0.001)  # busy, but leaves the connection to the listing too

    writers = [asyncio.create_task(churn()) for _ in range(2)]
    try:
        for _ in range(15):
            assert set(await keys_matching(kv, "demand.*.*")) == keys
    finally:
        stop.set()
        await asyncio.gather(*writers)
        await jetstream.delete_key_value(f"churn-{unique}")
