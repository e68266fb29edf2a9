"""keys_matching lists every live key of a pattern, also while other keys are being written."""

import asyncio
import contextlib

import pytest
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig

from accord.kv import keys_matching

pytestmark = pytest.mark.integration


async def test_live_keys_of_the_pattern_only(jetstream: JetStreamContext, unique: str) -> None:
    kv = await jetstream.create_key_value(KeyValueConfig(bucket=f"keys-{unique}", history=4))
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
    kv = await jetstream.create_key_value(KeyValueConfig(bucket=f"churn-{unique}", history=1))
    keys = {f"demand.r{n}.d" for n in range(100)}
    for key in sorted(keys):
        await kv.put(key, b"x")

    async def churn() -> None:
        n = 0
        while True:
            n += 1
            await kv.put(f"demand.r{n % 100}.d", b"y")

    writers = [asyncio.create_task(churn()) for _ in range(2)]
    try:
        for _ in range(30):
            assert set(await keys_matching(kv, "demand.*.*")) == keys
    finally:
        for writer in writers:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        await jetstream.delete_key_value(f"churn-{unique}")
