"""Small helpers for JetStream key-value buckets that nats-py leaves out."""

import contextlib

from nats.errors import TimeoutError as NatsTimeout
from nats.js import api
from nats.js.errors import NotFoundError
from nats.js.kv import KeyValue

_KV_OPERATION = "KV-Operation"
_REMOVED = ("DEL", "PURGE")
_FETCH_BATCH = 256
# The read is a shortcut, not the source of truth (keys it misses are looked up one by one):
# when entries counted as pending were meanwhile removed, stop waiting for them soon.
_FETCH_TIMEOUT = 0.25


async def keys_matching(kv: KeyValue, pattern: str) -> list[str]:
    """The live keys matching a subject pattern such as `customer.alice.*`.

    Written here rather than with nats-py's `KeyValue.keys()` or `watch()`: keys() watches
    every key and filters on the client, and a watch decides "nothing stored" from consumer
    info taken after the server may already have pushed every entry, so while others write
    it can answer no keys at all.

    Here the server's stream info names every key of the pattern that holds a value or a
    deletion marker, in one snapshot. A pull consumer (which receives nothing before it
    asks) then reads the newest entry of each, headers only, up to the end of that snapshot,
    to drop deleted keys. A key the read did not reach (rewritten meanwhile, its old entry
    skipped by the server) is looked up on its own.
    """
    # nats-py exposes no public accessors for the bucket's stream and subject prefix.
    js, stream, prefix = kv._js, kv._stream, kv._pre
    info = await js.stream_info(stream, subjects_filter=prefix + pattern)
    subjects = set(info.state.subjects or {})
    if not subjects:
        return []
    live = await _newest_operations(kv, pattern, info.state.last_seq)
    for subject in subjects - live.keys():
        try:
            last = await js.get_last_msg(stream, subject)
        except NotFoundError:  # purged since the snapshot
            continue
        live[subject] = (last.headers or {}).get(_KV_OPERATION) not in _REMOVED
    return [subject[len(prefix) :] for subject, alive in live.items() if alive]


async def _newest_operations(kv: KeyValue, pattern: str, last_seq: int) -> dict[str, bool]:
    """Whether each key's newest entry up to stream sequence `last_seq` is a value."""
    js, stream, prefix = kv._js, kv._stream, kv._pre
    subscription = await js.pull_subscribe(
        prefix + pattern,
        stream=stream,
        config=api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT,
            ack_policy=api.AckPolicy.NONE,
            headers_only=True,
            mem_storage=True,
            inactive_threshold=60.0,
        ),
    )
    live: dict[str, bool] = {}
    try:
        pending = (await subscription.consumer_info()).num_pending or 0
        while pending:
            try:
                batch = await subscription.fetch(min(pending, _FETCH_BATCH), timeout=_FETCH_TIMEOUT)
            except NatsTimeout:
                break
            if not batch:
                break
            for msg in batch:
                live[msg.subject] = (msg.headers or {}).get(_KV_OPERATION) not in _REMOVED
                meta = msg.metadata
                # Entries arrive in stream order: past the snapshot, the read is complete.
                pending = 0 if meta.sequence.stream >= last_seq else meta.num_pending
                if not pending:
                    break
    finally:
        await subscription.unsubscribe()
        # Deleted at once, not left to its inactive threshold: a stream holds at most 1,000
        # consumers (nats-server 2.15), and a list read 1,000 times a minute would reach it.
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream, subscription._consumer)
    return live
