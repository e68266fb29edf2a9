"""Streams, key-value buckets and durable consumers, provisioned from the contracts.

Idempotent: what exists and matches is left alone; what differs is updated. A change
that would lose stored data is refused, before anything is touched, with an error that
names the stream, the field and the reason:

- a subject removed (its stored messages would no longer be captured or reachable);
- `retention` or `storage` changed (JetStream would have to drop and recreate);
- `maxAge`, `maxMsgs`, `maxBytes` (buckets: `ttl`, `history`) made smaller or limited.

Consumers keep no data of their own and are updated freely. The contract's `backoff`
is not given to the server: a server-side backoff replaces `ackWait`, and the runtime
applies the backoff itself, as the delay of each NAK.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.js import api
from nats.js.client import JetStreamContext

from accord.events._contract import BucketSpec, ConsumerSpec, Contract, StreamSpec
from accord.events._document import load_document
from accord.events._errors import ProvisioningRefused

_UNLIMITED = -1


@dataclass(frozen=True)
class _Plan:
    """What to do with one stream or bucket: the refusals win over everything else."""

    action: str  # create, update, unchanged
    refusals: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()


async def provision_documents(nc: NatsClient, documents: Sequence[Path]) -> list[str]:
    """`make streams`: provision every stream, bucket and consumer the documents declare;
    returns one line per object saying what was done."""
    contracts = [Contract.from_document(load_document(path)) for path in documents]
    return await provision(nc.jetstream(), contracts)


async def provision(js: JetStreamContext, contracts: Iterable[Contract]) -> list[str]:
    contracts = list(contracts)
    streams = _unique([s for c in contracts for s in c.streams], "stream", lambda s: s.name)
    buckets = _unique([b for c in contracts for b in c.buckets], "bucket", lambda b: b.bucket)
    consumers = _unique(
        [x for c in contracts for x in c.consumers], "consumer", lambda x: x.durable
    )
    stream_plans = [(s, await _plan_stream(js, s)) for s in streams]
    bucket_plans = [(b, await _plan_bucket(js, b)) for b in buckets]
    plans = [p for _, p in stream_plans] + [p for _, p in bucket_plans]
    refusals = [refusal for plan in plans for refusal in plan.refusals]
    if refusals:
        raise ProvisioningRefused("refused, nothing changed:\n  " + "\n  ".join(refusals))
    done = [await _apply_stream(js, s, p) for s, p in stream_plans]
    done += [await _apply_bucket(js, b, p) for b, p in bucket_plans]
    done += [await _apply_consumer(js, c) for c in consumers]
    return done


def _unique(items: list[Any], kind: str, key: Any) -> list[Any]:
    seen: dict[str, Any] = {}
    for item in items:
        name = key(item)
        if name in seen and seen[name] != item:
            raise ProvisioningRefused(f"{kind} {name} is declared twice, differently")
        seen[name] = item
    return list(seen.values())


# Streams


def _stream_config(spec: StreamSpec) -> api.StreamConfig:
    return api.StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        retention=api.RetentionPolicy(spec.retention),
        storage=api.StorageType(spec.storage),
        num_replicas=spec.replicas,
        max_age=spec.max_age or 0,
        max_msgs=spec.max_msgs if spec.max_msgs is not None else _UNLIMITED,
        max_bytes=spec.max_bytes if spec.max_bytes is not None else _UNLIMITED,
        duplicate_window=spec.duplicate_window,
        # Reads on behalf of clients are direct gets, which make no consumer (accord.direct).
        allow_direct=True,
    )


async def _existing(js: JetStreamContext, name: str) -> api.StreamConfig | None:
    try:
        info = await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        return None
    return info.config


async def _plan_stream(js: JetStreamContext, spec: StreamSpec) -> _Plan:
    old = await _existing(js, spec.name)
    if old is None:
        return _Plan("create")
    new = _stream_config(spec)
    what = f"stream {spec.name}"
    refusals = [
        *(
            f"{what}: subjects: {s!r} removed; its stored messages would be lost to consumers"
            for s in sorted(set(old.subjects or []) - set(new.subjects or []))
        ),
        *_same(what, "retention", _enum(old.retention), _enum(new.retention)),
        *_same(what, "storage", _enum(old.storage), _enum(new.storage)),
        *_not_smaller(what, "maxAge", old.max_age or 0, new.max_age or 0, "seconds"),
        *_not_smaller(what, "maxMsgs", old.max_msgs, new.max_msgs, "messages"),
        *_not_smaller(what, "maxBytes", old.max_bytes, new.max_bytes, "bytes"),
    ]
    changes = _differences(
        old,
        new,
        [
            "subjects",
            "description",
            "num_replicas",
            "max_age",
            "max_msgs",
            "max_bytes",
            "duplicate_window",
            "allow_direct",
        ],
    )
    return _Plan("update" if changes else "unchanged", tuple(refusals), tuple(changes))


async def _apply_stream(js: JetStreamContext, spec: StreamSpec, plan: _Plan) -> str:
    if plan.action == "create":
        await js.add_stream(_stream_config(spec))
        return f"created stream {spec.name}"
    if plan.action == "update":
        await js.update_stream(_stream_config(spec))
        return f"updated stream {spec.name}: {', '.join(plan.changes)}"
    return f"unchanged stream {spec.name}"


# Key-value buckets (a bucket is the stream KV_<bucket>)


async def _plan_bucket(js: JetStreamContext, spec: BucketSpec) -> _Plan:
    old = await _existing(js, f"KV_{spec.bucket}")
    if old is None:
        return _Plan("create")
    what = f"bucket {spec.bucket}"
    refusals = [
        *_same(what, "storage", _enum(old.storage), spec.storage or _enum(old.storage)),
        *_not_smaller(what, "ttl", old.max_age or 0, spec.ttl or 0, "seconds"),
        *_not_smaller(what, "history", old.max_msgs_per_subject, spec.history or 1, "values"),
    ]
    changes = []
    if (spec.ttl or 0) != (old.max_age or 0):
        changes.append("ttl")
    if (spec.history or 1) != old.max_msgs_per_subject:
        changes.append("history")
    if spec.replicas is not None and spec.replicas != old.num_replicas:
        changes.append("replicas")
    if spec.description is not None and spec.description != old.description:
        changes.append("description")
    if not old.allow_direct:
        changes.append("allow_direct")
    return _Plan("update" if changes else "unchanged", tuple(refusals), tuple(changes))


async def _apply_bucket(js: JetStreamContext, spec: BucketSpec, plan: _Plan) -> str:
    if plan.action == "create":
        await js.create_key_value(
            api.KeyValueConfig(
                bucket=spec.bucket,
                description=spec.description,
                history=spec.history or 1,
                ttl=spec.ttl,
                storage=api.StorageType(spec.storage) if spec.storage else None,
                replicas=spec.replicas or 1,
                direct=True,  # reads are direct gets: accord.direct
            )
        )
        return f"created bucket {spec.bucket}"
    if plan.action == "update":
        old = await _existing(js, f"KV_{spec.bucket}")
        assert old is not None
        await js.update_stream(
            old.evolve(
                max_age=spec.ttl or 0,
                max_msgs_per_subject=spec.history or 1,
                num_replicas=spec.replicas or old.num_replicas,
                description=spec.description or old.description,
                allow_direct=True,
            )
        )
        return f"updated bucket {spec.bucket}: {', '.join(plan.changes)}"
    return f"unchanged bucket {spec.bucket}"


# Durable consumers


def _consumer_config(spec: ConsumerSpec) -> api.ConsumerConfig:
    return api.ConsumerConfig(
        name=spec.durable,
        durable_name=spec.durable,
        deliver_policy=api.DeliverPolicy.ALL,
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=spec.ack_wait,
        max_deliver=spec.max_deliver,
        filter_subject=spec.subject,
        max_ack_pending=spec.max_ack_pending,
    )


async def _apply_consumer(js: JetStreamContext, spec: ConsumerSpec) -> str:
    new = _consumer_config(spec)
    what = f"consumer {spec.stream}/{spec.durable}"
    try:
        old = (await js.consumer_info(spec.stream, spec.durable)).config
    except nats.js.errors.NotFoundError:
        await js.add_consumer(spec.stream, new)
        return f"created {what}"
    fields = ["ack_wait", "max_deliver", "filter_subject"]
    if spec.max_ack_pending is not None:
        fields.append("max_ack_pending")
    changes = _differences(old, new, fields)
    if not changes:
        return f"unchanged {what}"
    await js.add_consumer(spec.stream, new)  # a create with the same name updates
    return f"updated {what}: {', '.join(changes)}"


# Comparisons


def _enum(value: Any) -> Any:
    return getattr(value, "value", value)


def _same(what: str, field: str, old: Any, new: Any) -> list[str]:
    if old == new:
        return []
    return [f"{what}: {field}: {old} → {new} would drop the stored messages"]


def _not_smaller(what: str, field: str, old: Any, new: Any, unit: str) -> list[str]:
    """Limits where 0 or -1 (or None) mean unlimited."""
    old_limit = old if old and old > 0 else None
    new_limit = new if new and new > 0 else None
    if new_limit is None or (old_limit is not None and new_limit >= old_limit):
        return []
    was = "unlimited" if old_limit is None else f"{old_limit:g} {unit}"
    return [f"{what}: {field}: {was} → {new_limit:g} {unit} would delete stored messages"]


def _differences(old: Any, new: Any, fields: list[str]) -> list[str]:
    changed = []
    for field in fields:
        before, after = getattr(old, field), getattr(new, field)
        if isinstance(before, float) or isinstance(after, float):
            if abs((before or 0) - (after or 0)) > 1e-6:
                changed.append(field)
        elif (before or None) != (after or None):
            changed.append(field)
    return changed
