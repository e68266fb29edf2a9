"""Small helpers for JetStream key-value buckets that nats-py leaves out."""

from nats.js.kv import KeyValue


async def keys_matching(kv: KeyValue, pattern: str) -> list[str]:
    """The live keys matching a subject pattern such as `customer.alice.*`.

    KeyValue.keys() watches every key of the bucket and filters on the client; a watch on
    the pattern lets the server do the filtering.
    """
    watcher = await kv.watch(pattern, meta_only=True, ignore_deletes=True)
    keys: list[str] = []
    try:
        async for entry in watcher:
            if entry is None:  # the end of what is stored now
                break
            keys.append(entry.key)
            if entry.delta == 0:
                break
    finally:
        await watcher.stop()
    return keys
