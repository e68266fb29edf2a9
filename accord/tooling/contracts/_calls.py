"""The call options (`accordapis.options.v1.call`) that the generated SDKs and `make run` act
on: a default deadline that is positive, a stream resumption whose fields exist, agree in
type, and sit on a method that streams its responses, and an example that is a request of
the method (proto3 JSON, as grpcurl and the HTTP bindings take it)."""

from accordapis.options.v1 import calls_pb2
from google.protobuf import descriptor_pb2, json_format, message_factory
from google.protobuf.message import Message

from accord.tooling.contracts._policy import message_index

FieldProto = descriptor_pb2.FieldDescriptorProto


def lint_calls(image: descriptor_pb2.FileDescriptorSet, own_files: list[str]) -> list[str]:
    messages = message_index(image)
    classes = message_factory.GetMessages(list(image.file))
    problems: list[str] = []
    for proto in image.file:
        if proto.name not in own_files:
            continue
        for service in proto.service:
            for method in service.method:
                if method.options.HasExtension(calls_pb2.call):
                    name = f"{proto.package}.{service.name}.{method.name}"
                    call = method.options.Extensions[calls_pb2.call]
                    problems += _call(name, method, call, messages)
                    problems += _example(name, call.example, classes[method.input_type[1:]])
    return problems


def _call(
    name: str,
    method: descriptor_pb2.MethodDescriptorProto,
    call: calls_pb2.CallOptions,
    messages: dict[str, descriptor_pb2.DescriptorProto],
) -> list[str]:
    problems = []
    timeout = call.default_timeout
    if call.HasField("default_timeout") and (timeout.seconds, timeout.nanos) <= (0, 0):
        problems.append(f"{name}: default_timeout must be positive")
    if not call.HasField("resumption"):
        return problems
    if not method.server_streaming:
        problems.append(f"{name}: resumption is only for methods that stream their responses")
    resumption = call.resumption
    request = _field(messages, method.input_type, resumption.request_field)
    response = _field(messages, method.output_type, resumption.response_field)
    for side, field, owner in (
        ("request_field", request, method.input_type),
        ("response_field", response, method.output_type),
    ):
        if field is None:
            value = getattr(resumption, side)
            problems.append(f"{name}: resumption {side} {value!r} is not a field of {owner[1:]}")
    if request is not None and response is not None:
        same = (request.type, request.type_name) == (response.type, response.type_name)
        if not same or FieldProto.LABEL_REPEATED in (request.label, response.label):
            problems.append(
                f"{name}: resumption fields {request.name!r} and {response.name!r} must be single "
                "fields of the same type"
            )
    return problems


def _example(name: str, example: str, request: type[Message]) -> list[str]:
    if not example:
        return []
    try:
        json_format.Parse(example, request())
    except json_format.ParseError as error:
        return [f"{name}: the example is not a {request.DESCRIPTOR.full_name}: {error}"]
    return []


def _field(
    messages: dict[str, descriptor_pb2.DescriptorProto], type_name: str, field: str
) -> FieldProto | None:
    message = messages.get(type_name.lstrip("."))
    return next((f for f in message.field if f.name == field), None) if message else None
