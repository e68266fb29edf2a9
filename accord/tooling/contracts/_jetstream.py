"""`x-jetstream`: the topology rules its JSON Schema cannot say.

Streams, consumers and buckets live on one NATS server (or cluster), so names and subjects
are checked across all documents: a channel of one service may be stored by a stream that
another service's document declares. They are read as the runtime reads them
(`accord.events`: its defaults, its durations), once every document's x-jetstream has the
shape its schema gives.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from accord.events._channels import pattern_of
from accord.events._contract import (
    BucketSpec,
    ConsumerSpec,
    StreamSpec,
    bucket_spec,
    consumer_spec,
    stream_spec,
)
from accord.tooling.contracts._jetstream_shape import KEY, binding, shape_problems
from accord.tooling.contracts._subjects import covers, overlaps
from accord.tooling.contracts._tree import get, mapping, sequence


@dataclass(frozen=True)
class Declared:
    """A stream or bucket as one document declares it."""

    document: str
    name: str
    spec: StreamSpec | BucketSpec


@dataclass(frozen=True)
class Consumer:
    document: str
    operation: str
    action: Any  # "receive" where it belongs
    spec: ConsumerSpec
    own_stream: str | None  # the stream named on the operation, else the channel's is used
    channel: dict[str, Any]  # the operation's channel, references inlined


def lint_jetstream(documents: dict[str, Any]) -> list[str]:
    """Problems of the x-jetstream parts of every document (name -> resolved document)."""
    problems = [p for name, document in documents.items() for p in shape_problems(name, document)]
    if problems:
        return problems  # the rules below read x-jetstream typed, which wants it well formed
    streams = _declared(documents, "streams", "name")
    buckets = _declared(documents, "keyValue", "bucket")
    consumers = _consumers(documents)
    problems += _unique(streams, "stream") + _unique(buckets, "key-value bucket")
    problems += _overlapping_streams(streams)
    problems += _channels(documents, streams)
    problems += _consumer_rules(consumers, streams)
    problems += _unique_durables(consumers)
    problems += _requests_outside_streams(documents, streams)
    return problems


# --- streams and buckets -----------------------------------------------------------------


def _declared(documents: dict[str, Any], section: str, key: str) -> list[Declared]:
    read = stream_spec if section == "streams" else bucket_spec
    return [
        Declared(name, raw[key], read(raw))
        for name, document in documents.items()
        for raw in sequence(get(document, KEY, section))
    ]


def _unique(declared: list[Declared], kind: str) -> list[str]:
    """One name, one definition: two documents may share a stream (say, through a `$ref` to a
    shared file) only if they declare it the same way."""
    problems = []
    by_name: dict[str, list[Declared]] = defaultdict(list)
    for item in declared:
        by_name[item.name].append(item)
    for name, items in by_name.items():
        first, *others = items
        for other in others:
            if other.document == first.document:
                problems.append(f"{other.document}: {KEY}: {kind} {name!r} is declared twice")
            elif other.spec != first.spec:
                problems.append(
                    f"{other.document}: {KEY}: {kind} {name!r} is declared differently in "
                    f"{first.document}: declare it once, or identically"
                )
    return problems


def _overlapping_streams(streams: list[Declared]) -> list[str]:
    """NATS refuses a stream whose subjects overlap another stream's."""
    distinct = list({s.name: s for s in streams}.values())
    return [
        f"{second.document}: {KEY}: streams {first.name!r} ({a}) and {second.name!r} ({b}) "
        "both capture some subjects; NATS refuses overlapping streams"
        for first, second in itertools.combinations(distinct, 2)
        for a, b in itertools.product(_subjects(first), _subjects(second))
        if overlaps(a, b)
    ]


def _capturing(streams: list[Declared], subject: str, *, whole: bool) -> list[tuple[str, str]]:
    """(stream, its subject) pairs that capture all of `subject` (whole) or any part of it."""
    relation = covers if whole else overlaps
    return [(s.name, p) for s in streams for p in _subjects(s) if relation(p, subject)]


# --- channels and consumers --------------------------------------------------------------


def _channels(documents: dict[str, Any], streams: list[Declared]) -> list[str]:
    problems = []
    for name, document in documents.items():
        for channel_name, channel in mapping(get(document, "channels")).items():
            stream = get(binding(channel), "stream")
            if not isinstance(stream, str):
                continue
            where = f"{name}: channel {channel_name}: bindings.nats.{KEY}.stream"
            problems += _stored_by(where, stream, get(channel, "address"), streams)
    return problems


def _stored_by(where: str, stream: str, address: Any, streams: list[Declared]) -> list[str]:
    named = [s for s in streams if s.name == stream]
    if not named:
        return [f"{where}: stream {stream!r} is not declared in any document's {KEY}.streams"]
    if isinstance(address, str) and not _capturing(named, address, whole=True):
        subjects = ", ".join(_subjects(named[0]))
        return [
            f"{where}: stream {stream!r} does not capture the address {address!r} "
            f"(its subjects: {subjects}); add a subject that matches it"
        ]
    return []


def _consumers(documents: dict[str, Any]) -> list[Consumer]:
    found = []
    for name, document in documents.items():
        for op_name, operation in mapping(get(document, "operations")).items():
            raw = binding(operation)
            if not isinstance(raw, dict):
                continue
            channel = mapping(get(operation, "channel"))
            own = raw.get("stream")
            address = channel.get("address")
            spec = consumer_spec(
                raw,
                own or get(binding(channel), "stream") or "",
                pattern_of(address) if isinstance(address, str) else "",
            )
            found.append(Consumer(name, op_name, operation.get("action"), spec, own, channel))
    return found


def _consumer_rules(consumers: list[Consumer], streams: list[Declared]) -> list[str]:
    problems = []
    for consumer in consumers:
        where = f"{consumer.document}: operation {consumer.operation}: bindings.nats.{KEY}"
        if consumer.action != "receive":
            problems.append(
                f"{where}: consumer settings on a {consumer.action!r} operation; they belong "
                "on the receive operation that consumes the channel"
            )
        problems += _consumer_stream(where, consumer, streams)
        problems += _backoff(where, consumer.spec)
        problems += _dead_letter(where, consumer.spec, streams)
    return problems


def _consumer_stream(where: str, consumer: Consumer, streams: list[Declared]) -> list[str]:
    if not consumer.spec.stream:
        return [f"{where}: no stream: set `stream`, or one on the channel"]
    if consumer.own_stream:  # else the channel's, which _channels checks
        address = consumer.channel.get("address")
        return _stored_by(f"{where}.stream", consumer.own_stream, address, streams)
    return []


def _backoff(where: str, spec: ConsumerSpec) -> list[str]:
    """One delay per redelivery: delays beyond maxDeliver would never be used."""
    if len(spec.backoff) <= spec.max_deliver:
        return []
    return [
        f"{where}.backoff: {len(spec.backoff)} delays but maxDeliver is {spec.max_deliver}; "
        "the extra delays would never be used"
    ]


def _dead_letter(where: str, spec: ConsumerSpec, streams: list[Declared]) -> list[str]:
    dead_letter = spec.dead_letter
    if dead_letter is None or _capturing(streams, dead_letter, whole=True):
        return []
    return [
        f"{where}.deadLetter: no declared stream captures {dead_letter!r}; a dead letter "
        "that nothing stores is lost"
    ]


def _unique_durables(consumers: list[Consumer]) -> list[str]:
    problems = []
    first_seen: dict[str, Consumer] = {}
    for consumer in consumers:
        durable = consumer.spec.durable
        first = first_seen.setdefault(durable, consumer)
        if first is not consumer:
            problems.append(
                f"{consumer.document}: operation {consumer.operation}: bindings.nats.{KEY}"
                f".durable: {durable!r} is already the durable of {first.document} operation "
                f"{first.operation}; durable names must be unique"
            )
    return problems


def _requests_outside_streams(documents: dict[str, Any], streams: list[Declared]) -> list[str]:
    """A core NATS request to a subject a stream captures is answered by the stream's PubAck,
    not by the responder: keep both request and reply subjects outside every stream."""
    problems = []
    for name, document in documents.items():
        for op_name, operation in mapping(get(document, "operations")).items():
            if get(operation, "reply") is None:
                continue
            for role, address in (
                ("request channel", get(operation, "channel", "address")),
                ("reply channel", get(operation, "reply", "channel", "address")),
            ):
                if not isinstance(address, str):
                    continue
                for stream, subject in _capturing(streams, address, whole=False):
                    problems.append(
                        f"{name}: operation {op_name}: {role} address {address!r} is captured "
                        f"by stream {stream!r} ({subject}); a request there is answered by the "
                        "stream's PubAck, so keep request/reply subjects outside every stream"
                    )
    return problems


def _subjects(stream: Declared) -> tuple[str, ...]:
    return stream.spec.subjects if isinstance(stream.spec, StreamSpec) else ()
