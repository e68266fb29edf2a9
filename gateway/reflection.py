"""Server reflection over everything routed, served from the contracts image.

grpcio-reflection answers from a descriptor pool, and a pool forgets source info when it
hands a file back; the image has it. So files of the image are sent as the image holds them,
and `grpcurl describe` shows the contracts' comments.
"""

from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import FileDescriptor
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc
from grpc_reflection.v1alpha._async import ReflectionServicer


class ImageReflection(ReflectionServicer):  # type: ignore[misc]
    """grpcio-reflection's servicer, answering with the image's own file descriptors."""

    def __init__(
        self,
        services: Iterable[str],
        pool: descriptor_pool.DescriptorPool,
        image: descriptor_pb2.FileDescriptorSet,
    ) -> None:
        super().__init__(services, pool=pool)
        self._files = {file.name: file.SerializeToString() for file in image.file}

    async def ServerReflectionInfo(
        self,
        request_iterator: AsyncIterable[reflection_pb2.ServerReflectionRequest],
        context: Any,
    ) -> AsyncIterator[reflection_pb2.ServerReflectionResponse]:
        async for response in super().ServerReflectionInfo(request_iterator, context):
            if response.HasField("file_descriptor_response"):
                files = response.file_descriptor_response.file_descriptor_proto
                for index, data in enumerate(files):
                    name = descriptor_pb2.FileDescriptorProto.FromString(data).name
                    files[index] = self._files.get(name, data)
            yield response


def enable(
    server: grpc.aio.Server,
    pool: descriptor_pool.DescriptorPool,
    image: descriptor_pb2.FileDescriptorSet,
    services: Iterable[str],
) -> None:
    """Reflect `services` plus health and reflection themselves.

    The error details are resolvable too, so grpcurl prints an ErrorInfo, not raw bytes."""
    for file in (health_pb2.DESCRIPTOR, reflection_pb2.DESCRIPTOR, error_details_pb2.DESCRIPTOR):
        _add(pool, file)
    names = [
        *services,
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        reflection.SERVICE_NAME,
    ]
    servicer = ImageReflection(names, pool, image)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)


def _add(pool: descriptor_pool.DescriptorPool, file: FileDescriptor) -> None:
    """Add a generated module's file, and its imports first, unless the pool has it."""
    try:
        pool.FindFileByName(file.name)
        return
    except KeyError:
        pass
    for dependency in file.dependencies:
        _add(pool, dependency)
    proto = descriptor_pb2.FileDescriptorProto()
    file.CopyToProto(proto)
    pool.Add(proto)
