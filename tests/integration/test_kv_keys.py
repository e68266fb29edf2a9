"""keys_matching lists every live key of a pattern, also while other keys are being written."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from accord.kv import keys_matching, page_after

pytestmark = pytest.mark.integration


@contextlib.asynccontextmanager
async def bucket(jetstream: JetStreamContext, name: str, history: int) -> AsyncIterator[KeyValue]:
    """A bucket of this test's own (direct gets on), deleted after."""
    kv = await jetstream.create_key_value(KeyValueConfig(bucket=name, history=history, direct=True))
    try:
        yield kv
    finally:
        await jetstream.delete_key_value(name)


async def test_live_keys_of_the_pattern_only(jetstream: JetStreamContext, unique: str) -> None:
    async with bucket(jetstream, f"keys-{unique}", history=4) as kv:
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


async def test_every_key_is_listed_while_others_write(
    jetstream: JetStreamContext, unique: str
) -> None:
    # nats-py's watch-based listing could answer "no keys" here: it decided "nothing stored"
    # from consumer info taken after the server had pushed every entry.
    async with bucket(jetstream, f"churn-{unique}", history=1) as kv:
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


async def test_pages_hold_each_live_key_once_at_its_newest_write(
    jetstream: JetStreamContext, unique: str
) -> None:
    async with bucket(jetstream, f"pages-{unique}", history=8) as kv:
        # More keys than a server answers in one last-per-subject read (about a thousand).
        for n in range(1_500):
            await kv.put(f"owner.ann.{n:05d}", b"v")
        await kv.put("owner.ann.00001", b"again")  # moves to the end
        await kv.delete("owner.ann.00002")
        await kv.put("owner.bob.00000", b"v")
        seen: list[tuple[str, bytes]] = []
        after = 0
        while True:
            page = await page_after(kv, "owner.ann.*", after, 100)
            assert len(page.entries) <= 100
            seen += [(entry.key, entry.value) for entry in page.entries]
            if page.resume_after is None:
                break
            after = page.resume_after
        expected = [f"owner.ann.{n:05d}" for n in range(1_500) if n not in (1, 2)]
        assert [key for key, _ in seen] == [*expected, "owner.ann.00001"]
        assert seen[-1] == ("owner.ann.00001", b"again")
        assert sorted(await keys_matching(kv, "owner.ann.*")) == sorted(key for key, _ in seen)
