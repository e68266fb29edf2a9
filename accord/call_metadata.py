"""Client channels whose every call carries some metadata (a token, a signed principal)."""

from collections.abc import Callable
from typing import Any

import grpc

MetadataOf = Callable[[str], list[tuple[str, str]]]  # method path → metadata to add


class _AddsMetadata:
    def __init__(self, metadata_of: MetadataOf) -> None:
        self._metadata_of = metadata_of

    def _with_metadata(self, details: Any) -> Any:
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        metadata = [*(details.metadata or ()), *self._metadata_of(method)]
        return details._replace(metadata=metadata)


# grpc.aio files an interceptor under the first of its kinds only: one class per kind.
class _UnaryUnary(_AddsMetadata, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._with_metadata(details), request)


class _UnaryStream(_AddsMetadata, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._with_metadata(details), request)


class _StreamUnary(_AddsMetadata, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(
        self, continuation: Callable[..., Any], details: Any, requests: Any
    ) -> Any:
        return await continuation(self._with_metadata(details), requests)


class _StreamStream(_AddsMetadata, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(
        self, continuation: Callable[..., Any], details: Any, requests: Any
    ) -> Any:
        return await continuation(self._with_metadata(details), requests)


def channel_with_metadata(address: str, metadata_of: MetadataOf) -> grpc.aio.Channel:
    interceptors: list[grpc.aio.ClientInterceptor] = [
        kind(metadata_of) for kind in (_UnaryUnary, _UnaryStream, _StreamUnary, _StreamStream)
    ]
    return grpc.aio.insecure_channel(address, interceptors=interceptors)
