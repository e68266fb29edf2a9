"""Every method of every contract, from the compiled descriptors, callable without its stubs:
for tests that sweep the whole API surface."""

import functools
from collections.abc import Iterator
from typing import Any

import grpc
from google.protobuf import descriptor, descriptor_pool, message, message_factory

from accord.descriptors import MethodContract, load_image, services_in


@functools.cache
def _pool() -> descriptor_pool.DescriptorPool:
    pool = descriptor_pool.DescriptorPool()
    for file in load_image().file:
        pool.Add(file)
    return pool


def every_method() -> Iterator[MethodContract]:
    for service in services_in(load_image()):
        yield from service.methods


def message_type(full_name: str) -> descriptor.Descriptor:
    return _pool().FindMessageTypeByName(full_name)


def new_message(full_name: str) -> message.Message:
    cls: Any = message_factory.GetMessageClass(message_type(full_name))
    made: message.Message = cls()
    return made


def multicallable(channel: grpc.aio.Channel, method: MethodContract) -> Any:
    """The grpc.aio multi-callable of `method` on `channel`, with its real shape."""
    decode = message_factory.GetMessageClass(message_type(method.output_type)).FromString
    return _shaped(channel, method)(
        method.path, request_serializer=_serialize, response_deserializer=decode
    )


def raw_call(
    channel: grpc.aio.Channel,
    method: MethodContract,
    body: bytes,
    metadata: Any,
    timeout: float,
) -> Any:
    """A call of `method` with one serialized request (a stream of one where the client
    streams), bytes in and out: awaited, or read, by the caller."""
    call = _shaped(channel, method)(
        method.path, request_serializer=None, response_deserializer=None
    )
    request = iter([body]) if method.client_streaming else body
    return call(request, metadata=metadata, timeout=timeout)


def _shaped(channel: grpc.aio.Channel, method: MethodContract) -> Any:
    return {
        (False, False): channel.unary_unary,
        (False, True): channel.unary_stream,
        (True, False): channel.stream_unary,
        (True, True): channel.stream_stream,
    }[(method.client_streaming, method.server_streaming)]


def _serialize(request: message.Message) -> bytes:
    return request.SerializeToString()
