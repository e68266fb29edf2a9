"""The parts of an AsyncAPI document the runtime acts on, as typed values.

Built from a document whose references are inlined (`load_document`); the generated
packages embed such a document, so a service needs no YAML at run time.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.events._channels import parameters_of, pattern_of, payload_field, subject_of
from accord.events._durations import parse_duration

JsonSchema = Mapping[str, Any]


@dataclass(frozen=True)
class StreamSpec:
    """A stream of the document-level `x-jetstream.streams`."""

    name: str
    subjects: tuple[str, ...]
    retention: str = "limits"
    storage: str = "file"
    replicas: int = 1
    max_age: float | None = None
    max_msgs: int | None = None
    max_bytes: int | None = None
    duplicate_window: float = 120.0
    description: str | None = None


@dataclass(frozen=True)
class BucketSpec:
    """A key-value bucket of the document-level `x-jetstream.keyValue`."""

    bucket: str
    history: int | None = None
    storage: str | None = None
    replicas: int | None = None
    ttl: float | None = None
    description: str | None = None


@dataclass(frozen=True)
class ConsumerSpec:
    """A durable pull consumer: a receive operation's `bindings.nats.x-jetstream`."""

    durable: str
    stream: str
    subject: str
    ack_wait: float = 30.0
    max_deliver: int = 5
    backoff: tuple[float, ...] = ()
    dead_letter: str | None = None
    max_ack_pending: int | None = None
    fetch_batch: int = 16
    in_progress_every: float | None = None

    def retry_delay(self, delivery_count: int) -> float:
        """The contract's delay before redelivery number `delivery_count` + 1 (0: at once)."""
        if not self.backoff:
            return 0.0
        return self.backoff[min(delivery_count, len(self.backoff)) - 1]

    @property
    def heartbeat_every(self) -> float:
        return self.in_progress_every or self.ack_wait / 2


@dataclass(frozen=True)
class MessageSpec:
    """One message: its payload schema, its headers schema and its CloudEvents type."""

    name: str
    payload_schema: JsonSchema
    headers_schema: JsonSchema | None
    event_type: str
    content_type: str = "application/json"


@dataclass(frozen=True)
class OperationSpec:
    key: str
    action: str
    address: str
    """The channel's address: a subject, or a template with `{parameter}` tokens."""
    message: MessageSpec
    reply: MessageSpec | None = None
    consumer: ConsumerSpec | None = None
    queue: str | None = None
    parameters: tuple[tuple[str, str | None], ...] = ()
    """Each parameter of the address and the payload property holding its value (from the
    parameter's `location`), or None when the publisher must give it."""

    @property
    def pattern(self) -> str:
        """Every subject of the channel: the address with `*` for each parameter."""
        return pattern_of(self.address)

    def subject(self, values: Mapping[str, str] | None = None, payload: Any = None) -> str:
        """The subject of one event: parameters from `values`, else from the payload."""
        if not self.parameters:
            return self.address
        found = dict(values or {})
        for name, field in self.parameters:
            if name not in found and field is not None and payload is not None:
                found[name] = payload_property(payload, field)
        return subject_of(self.address, found)


@dataclass(frozen=True)
class Contract:
    """One service document: its JetStream topology and its operations."""

    title: str
    streams: tuple[StreamSpec, ...]
    buckets: tuple[BucketSpec, ...]
    operations: Mapping[str, OperationSpec]
    identity_parameter: str | None = None
    """`x-accord-identity.parameter`: the document describes a fleet (devices), each member
    its own identity, bound to this parameter of every channel."""
    authorizes: str | None = None
    """`x-accord-authorizes`: the fleet document whose identities this service issues."""

    def operation(self, key: str) -> OperationSpec:
        try:
            return self.operations[key]
        except KeyError:
            raise KeyError(f"the contract {self.title!r} has no operation {key!r}") from None

    @property
    def consumers(self) -> tuple[ConsumerSpec, ...]:
        return tuple(op.consumer for op in self.operations.values() if op.consumer)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> "Contract":
        root = document.get(X_JETSTREAM) or {}
        default_type = document.get("defaultContentType", "application/json")
        operations = {
            key: _operation(key, op, default_type)
            for key, op in (document.get("operations") or {}).items()
        }
        return cls(
            title=document.get("info", {}).get("title", "?"),
            streams=tuple(stream_spec(s) for s in root.get("streams", [])),
            buckets=tuple(bucket_spec(b) for b in root.get("keyValue", [])),
            operations=operations,
            identity_parameter=(document.get("x-accord-identity") or {}).get("parameter"),
            authorizes=document.get("x-accord-authorizes"),
        )


# x-jetstream, read once for the whole house: the runtime, provisioning, codegen and lint all
# read it through these functions. A key the document leaves out takes the dataclass's default.

X_JETSTREAM = "x-jetstream"

_Fields = dict[str, tuple[str, Callable[[Any], Any]]]


def _durations(values: list[str]) -> tuple[float, ...]:
    return tuple(parse_duration(value) for value in values)


_STREAM: _Fields = {
    "retention": ("retention", str),
    "storage": ("storage", str),
    "replicas": ("replicas", int),
    "maxAge": ("max_age", parse_duration),
    "maxMsgs": ("max_msgs", int),
    "maxBytes": ("max_bytes", int),
    "duplicateWindow": ("duplicate_window", parse_duration),
    "description": ("description", str),
}
_BUCKET: _Fields = {
    "history": ("history", int),
    "storage": ("storage", str),
    "replicas": ("replicas", int),
    "ttl": ("ttl", parse_duration),
    "description": ("description", str),
}
_CONSUMER: _Fields = {
    "ackWait": ("ack_wait", parse_duration),
    "maxDeliver": ("max_deliver", int),
    "backoff": ("backoff", _durations),
    "deadLetter": ("dead_letter", str),
    "maxAckPending": ("max_ack_pending", int),
    "fetchBatch": ("fetch_batch", int),
    "inProgressEvery": ("in_progress_every", parse_duration),
}


def _given(raw: Mapping[str, Any], fields: _Fields) -> dict[str, Any]:
    return {name: read(raw[key]) for key, (name, read) in fields.items() if key in raw}


def stream_spec(raw: Mapping[str, Any]) -> StreamSpec:
    """A stream of the document's `x-jetstream.streams`."""
    return StreamSpec(name=raw["name"], subjects=tuple(raw["subjects"]), **_given(raw, _STREAM))


def bucket_spec(raw: Mapping[str, Any]) -> BucketSpec:
    """A bucket of the document's `x-jetstream.keyValue`."""
    return BucketSpec(bucket=raw["bucket"], **_given(raw, _BUCKET))


def consumer_spec(raw: Mapping[str, Any], stream: str, subject: str) -> ConsumerSpec:
    """The durable consumer of a receive operation's `bindings.nats.x-jetstream`, on `stream`
    (its own, else its channel's), filtered on `subject` (the channel's pattern)."""
    return ConsumerSpec(
        durable=raw["durable"], stream=stream, subject=subject, **_given(raw, _CONSUMER)
    )


def jetstream_binding(owner: Any) -> Any:
    """The `bindings.nats.x-jetstream` of a channel or operation; None when it has none (or
    when the document is not shaped as AsyncAPI says, which lint reports)."""
    node = owner
    for key in ("bindings", "nats", X_JETSTREAM):
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _operation(key: str, raw: Mapping[str, Any], default_type: str) -> OperationSpec:
    channel = raw["channel"]
    address = channel.get("address")
    if not address:
        raise ValueError(f"operation {key!r}: its channel has no address (the NATS subject)")
    messages = raw.get("messages") or list((channel.get("messages") or {}).values())
    if len(messages) != 1:
        raise ValueError(
            f"operation {key!r}: exactly one message is supported, not {len(messages)}"
        )
    reply = raw.get("reply")
    reply_message = None
    if reply:
        reply_messages = reply.get("messages") or list(
            (reply.get("channel", {}).get("messages") or {}).values()
        )
        reply_message = _message(f"{key} reply", reply_messages[0], address, default_type)
    binding = jetstream_binding(raw) or {}
    consumer = None
    if raw["action"] == "receive" and binding.get("durable"):
        stream = binding.get("stream") or (jetstream_binding(channel) or {}).get("stream")
        if not stream:
            raise ValueError(f"operation {key!r}: no stream named on it or on its channel")
        consumer = consumer_spec(binding, stream, pattern_of(address))
    queue = ((raw.get("bindings") or {}).get("nats") or {}).get("queue")
    declared = channel.get("parameters") or {}
    parameters = tuple(
        (name, payload_field((declared.get(name) or {}).get("location")))
        for name in parameters_of(address)
    )
    return OperationSpec(
        key=key,
        action=raw["action"],
        address=address,
        message=_message(key, messages[0], address, default_type),
        reply=reply_message,
        consumer=consumer,
        queue=queue,
        parameters=parameters,
    )


def _message(key: str, raw: Mapping[str, Any], address: str, default_type: str) -> MessageSpec:
    headers = raw.get("headers")
    return MessageSpec(
        name=raw.get("name") or key,
        payload_schema=raw.get("payload") or {},
        headers_schema=headers,
        event_type=_const_event_type(headers) or address,
        content_type=raw.get("contentType", default_type),
    )


def _const_event_type(schema: Any) -> str | None:
    """The `ce-type` a headers schema pins with `const`, looking through `allOf`."""
    if not isinstance(schema, Mapping):
        return None
    const = (schema.get("properties") or {}).get("ce-type", {}).get("const")
    if isinstance(const, str):
        return const
    for part in schema.get("allOf", []):
        if found := _const_event_type(part):
            return found
    return None


def payload_property(payload: Any, name: str) -> str:
    """The value of the payload property `name` (its JSON name), from a model or a dict."""
    if isinstance(payload, Mapping):
        return str(payload[name])
    for attribute, info in type(payload).model_fields.items():
        if (info.alias or attribute) == name:
            return str(getattr(payload, attribute))
    raise ValueError(f"{type(payload).__name__} has no property {name!r}")
