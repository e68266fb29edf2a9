"""Reading the rich status (google.rpc.Status) a caller received."""

from typing import TypeVar

import grpc
from google.protobuf.message import Message
from grpc_status import rpc_status

Detail = TypeVar("Detail", bound=Message)


def detail(error: grpc.aio.AioRpcError, kind: type[Detail]) -> Detail:
    """The `kind` detail (ErrorInfo, RetryInfo, ...) of a rich status; fails if it is absent."""
    status = rpc_status.from_call(error)
    assert status is not None, f"no google.rpc.Status in {error!r}"
    for packed in status.details:
        if packed.Is(kind.DESCRIPTOR):
            found = kind()
            packed.Unpack(found)
            return found
    raise AssertionError(f"no {kind.DESCRIPTOR.name} in {error!r}")
