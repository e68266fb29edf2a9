"""The API surface the SDKs are generated from: services, methods, messages and enums of the
compiled contracts, with their comments and the options that shape a client (policy,
lifecycle, idempotency, default deadline, stream resumption), and the events each AsyncAPI
document publishes on JetStream.
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from accordapis.options.v1 import calls_pb2, policy_pb2
from google.protobuf import descriptor_pb2

from accord.descriptors import services_in
from accord.events import Contract
from accord.events._document import load_document, load_yaml

Stage = policy_pb2.ServiceLifecycle
Idempotency = descriptor_pb2.MethodOptions.IdempotencyLevel
# FileDescriptorProto field numbers, for source_code_info paths.
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED, _NESTED_ENUM, _METHOD, _VALUE = 2, 3, 4, 2, 2


@dataclass(frozen=True)
class ApiMethod:
    name: str  # PlaceOrder
    path: str  # /acme.orders.v2.OrderService/PlaceOrder
    input_type: str  # acme.orders.v2.PlaceOrderRequest
    output_type: str
    client_streaming: bool
    server_streaming: bool
    comment: str
    policy: policy_pb2.MethodPolicy | None
    idempotency: str  # NO_SIDE_EFFECTS, IDEMPOTENT or IDEMPOTENCY_UNKNOWN
    default_timeout: float | None
    resumption: tuple[str, str] | None  # (request field, response field)
    example: str = ""  # a request to try, proto3 JSON

    @property
    def snake_name(self) -> str:
        return snake_case(self.name)

    @property
    def safe_to_retry(self) -> bool:
        return self.idempotency in ("NO_SIDE_EFFECTS", "IDEMPOTENT")

    @property
    def shape(self) -> str:
        if self.client_streaming and self.server_streaming:
            return "bidi_stream"
        if self.client_streaming:
            return "client_stream"
        return "server_stream" if self.server_streaming else "unary"


@dataclass(frozen=True)
class ApiService:
    full_name: str  # acme.orders.v2.OrderService
    name: str  # OrderService
    package: str  # acme.orders.v2
    file: str  # acme/orders/v2/orders.proto
    comment: str
    lifecycle: policy_pb2.ServiceLifecycle
    methods: tuple[ApiMethod, ...]

    @property
    def domain(self) -> str:
        """`orders` of acme.orders.v2."""
        return self.package.split(".")[-2]

    @property
    def version(self) -> str:
        return self.package.split(".")[-1]

    @property
    def deprecated(self) -> bool:
        return self.lifecycle.stage == Stage.STAGE_DEPRECATED

    @property
    def sunset(self) -> bool:
        return self.lifecycle.stage == Stage.STAGE_SUNSET


@dataclass(frozen=True)
class ApiField:
    name: str
    number: int
    type_name: str  # "string", "int64", "acme.orders.v2.Money", ...
    repeated: bool
    comment: str


@dataclass(frozen=True)
class ApiMessage:
    full_name: str
    file: str
    comment: str
    fields: tuple[ApiField, ...]


@dataclass(frozen=True)
class ApiEnum:
    full_name: str
    file: str
    comment: str
    values: tuple[tuple[str, int, str], ...]  # name, number, comment


@dataclass(frozen=True)
class ApiEvent:
    """One event a service publishes onto a JetStream stream."""

    service: str  # the publishing document's file stem: orders
    name: str  # OrderPlaced
    operation: str  # the send operation's key
    address: str
    stream: str
    event_type: str
    source: str
    summary: str
    payload_schema: dict[str, object]
    message_pointer: str  # where the document declares the message: #/channels/x/messages/y


@dataclass(frozen=True)
class Surface:
    services: tuple[ApiService, ...]
    messages: dict[str, ApiMessage]
    enums: dict[str, ApiEnum]
    events: tuple[ApiEvent, ...]

    @property
    def domains(self) -> list[str]:
        return sorted({service.domain for service in self.services})

    def services_of(self, domain: str) -> list[ApiService]:
        return [s for s in self.services if s.domain == domain]


def snake_case(name: str) -> str:
    """PlaceOrder → place_order; GetATMInfo → get_atm_info."""
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).lower()


def read_surface(
    image: descriptor_pb2.FileDescriptorSet, own_files: Sequence[str], asyncapi: Path
) -> Surface:
    files = [f for f in image.file if f.name in set(own_files)]
    policies = {s.full_name: s for s in services_in(image, own_files)}
    services: list[ApiService] = []
    messages: dict[str, ApiMessage] = {}
    enums: dict[str, ApiEnum] = {}
    for proto in files:
        comments = _comments(proto)
        for i, service in enumerate(proto.service):
            contract = policies[f"{proto.package}.{service.name}"]
            services.append(_service(proto, i, service, contract.lifecycle, comments))
        for path, message, full_name in _messages(proto):
            messages[full_name] = _message(proto, path, message, full_name, comments)
        for path, enum, full_name in _enums(proto):
            values = tuple(
                (v.name, v.number, comments.get((*path, _VALUE, j), ""))
                for j, v in enumerate(enum.value)
            )
            enums[full_name] = ApiEnum(full_name, proto.name, comments.get(path, ""), values)
    return Surface(tuple(services), messages, enums, tuple(read_events(asyncapi)))


def read_events(asyncapi: Path) -> Iterator[ApiEvent]:
    """The events each service document sends on a subject that one of its streams keeps."""
    for path in sorted(asyncapi.glob("*.yaml")):
        contract = Contract.from_document(load_document(path))
        # As written: references kept.
        raw_operations = load_yaml(path.read_text(encoding="utf-8")).get("operations") or {}
        for key, operation in contract.operations.items():
            if operation.action != "send":
                continue
            stream = _stream_of(contract, operation.address)
            if stream is None:
                continue  # core NATS request/reply, not an event stream
            raw = raw_operations.get(key) or {}
            refs = [m.get("$ref", "") for m in raw.get("messages") or [] if isinstance(m, dict)]
            yield ApiEvent(
                service=path.stem,
                name=operation.message.name,
                operation=key,
                address=operation.address,
                stream=stream,
                event_type=operation.message.event_type,
                source=f"/acme/{path.stem}",
                summary=str(raw.get("summary") or raw.get("description") or "").strip(),
                payload_schema=dict(operation.message.payload_schema),
                message_pointer=refs[0].partition("#")[2] if refs else "",
            )


def _stream_of(contract: Contract, address: str) -> str | None:
    subject = re.sub(r"\{[^}]+\}", "*", address)
    for stream in contract.streams:
        if any(_covers(pattern, subject) for pattern in stream.subjects):
            return stream.name
    return None


def _covers(pattern: str, subject: str) -> bool:
    """Whether the NATS subject pattern `pattern` matches every subject `subject` matches."""
    want, have = pattern.split("."), subject.split(".")
    for i, token in enumerate(want):
        if token == ">":
            return len(have) > i
        if i >= len(have) or (token != "*" and token != have[i]):
            return False
    return len(want) == len(have)


def _comments(proto: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    found = {}
    for location in proto.source_code_info.location:
        text = location.leading_comments.strip()
        if text:
            lines = [line.removeprefix(" ") for line in text.splitlines()]
            found[tuple(location.path)] = "\n".join(lines).strip()
    return found


def _service(
    proto: descriptor_pb2.FileDescriptorProto,
    index: int,
    service: descriptor_pb2.ServiceDescriptorProto,
    lifecycle: policy_pb2.ServiceLifecycle,
    comments: dict[tuple[int, ...], str],
) -> ApiService:
    full_name = f"{proto.package}.{service.name}"
    methods = tuple(
        _method(full_name, method, comments.get((_SERVICE, index, _METHOD, j), ""))
        for j, method in enumerate(service.method)
    )
    return ApiService(
        full_name=full_name,
        name=service.name,
        package=proto.package,
        file=proto.name,
        comment=comments.get((_SERVICE, index), ""),
        lifecycle=lifecycle,
        methods=methods,
    )


def _method(
    service: str, method: descriptor_pb2.MethodDescriptorProto, comment: str
) -> ApiMethod:
    options = method.options
    policy = None
    if options.HasExtension(policy_pb2.policy):
        policy = policy_pb2.MethodPolicy()
        policy.CopyFrom(options.Extensions[policy_pb2.policy])
    call = calls_pb2.CallOptions()
    if options.HasExtension(calls_pb2.call):
        call.CopyFrom(options.Extensions[calls_pb2.call])
    timeout = call.default_timeout.ToTimedelta().total_seconds() if call.HasField(
        "default_timeout"
    ) else None
    resumption = None
    if call.HasField("resumption"):
        resumption = (call.resumption.request_field, call.resumption.response_field)
    return ApiMethod(
        name=method.name,
        path=f"/{service}/{method.name}",
        input_type=method.input_type.lstrip("."),
        output_type=method.output_type.lstrip("."),
        client_streaming=method.client_streaming,
        server_streaming=method.server_streaming,
        comment=comment,
        policy=policy,
        idempotency=Idempotency.Name(options.idempotency_level),
        default_timeout=timeout,
        resumption=resumption,
        example=call.example,
    )


def _messages(
    proto: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[tuple[int, ...], descriptor_pb2.DescriptorProto, str]]:
    def walk(
        path: tuple[int, ...], message: descriptor_pb2.DescriptorProto, prefix: str
    ) -> Iterator[tuple[tuple[int, ...], descriptor_pb2.DescriptorProto, str]]:
        full_name = f"{prefix}.{message.name}"
        yield path, message, full_name
        for k, nested in enumerate(message.nested_type):
            if not nested.options.map_entry:
                yield from walk((*path, _NESTED, k), nested, full_name)

    for i, message in enumerate(proto.message_type):
        yield from walk((_MESSAGE, i), message, proto.package)


def _enums(
    proto: descriptor_pb2.FileDescriptorProto,
) -> Iterator[tuple[tuple[int, ...], descriptor_pb2.EnumDescriptorProto, str]]:
    for i, enum in enumerate(proto.enum_type):
        yield (_ENUM, i), enum, f"{proto.package}.{enum.name}"
    for path, message, full_name in _messages(proto):
        for k, enum in enumerate(message.enum_type):
            yield (*path, _NESTED_ENUM, k), enum, f"{full_name}.{enum.name}"


_SCALARS = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in descriptor_pb2.FieldDescriptorProto.Type.items()
}


def _message(
    proto: descriptor_pb2.FileDescriptorProto,
    path: tuple[int, ...],
    message: descriptor_pb2.DescriptorProto,
    full_name: str,
    comments: dict[tuple[int, ...], str],
) -> ApiMessage:
    maps = {
        f"{full_name}.{nested.name}": nested
        for nested in message.nested_type
        if nested.options.map_entry
    }
    fields = []
    for j, field in enumerate(message.field):
        type_name = field.type_name.lstrip(".") or _SCALARS[field.type]
        repeated = field.label == descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
        if type_name in maps:
            key, value = maps[type_name].field
            type_name = f"map<{_type(key)}, {_type(value)}>"
            repeated = False
        fields.append(
            ApiField(field.name, field.number, type_name, repeated, comments.get((*path, _FIELD, j), ""))
        )
    return ApiMessage(full_name, proto.name, comments.get(path, ""), tuple(fields))


def _type(field: descriptor_pb2.FieldDescriptorProto) -> str:
    return field.type_name.lstrip(".") or _SCALARS[field.type]
