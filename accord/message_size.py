"""A size limit on every request message, refused with details wherever the call comes from.

grpc's own receive limit (`grpc.max_receive_message_length`) refuses an oversized message with a
bare RESOURCE_EXHAUSTED: no ErrorInfo, no limit a client could act on. So the limit is the
contract-enforcement interceptor's (accord/enforcement.py), which wraps each method's request
deserializer with `limited`: a message over the limit is never parsed and never reaches the
servicer; the interceptor refuses the call (unary, server stream) or the client stream at that
message with RESOURCE_EXHAUSTED and ErrorInfo MESSAGE_TOO_LARGE (direction, size, limit).

grpc's receive limit stays, set above ours (`backstop`), so that grpc still stops a message far
beyond the limit before it is buffered whole; only such a message (more than twice the limit
plus 64 KiB), sent straight to a service port, gets grpc's bare status. Through the edge, Envoy
refuses a single-message request beyond the limit itself, with the same details
(gateway/envoy_config/message_size.py).
"""

from collections.abc import Callable
from typing import Any

import grpc

from accord.rpc_status import RpcError, error_info

DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024
MESSAGE_TOO_LARGE = "MESSAGE_TOO_LARGE"


class Oversized:
    """What `limited` hands over instead of a message over the limit: its size only."""

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        self.size = size


def limited(deserializer: Callable[[bytes], Any] | None, limit: int) -> Callable[[bytes], Any]:
    """`deserializer`, for messages of at most `limit` bytes; `Oversized` for the others."""

    def deserialize(data: bytes) -> Any:
        if len(data) > limit:
            return Oversized(len(data))
        return deserializer(data) if deserializer is not None else data

    return deserialize


def message_too_large(limit: int, size: int | None = None) -> RpcError:
    """RESOURCE_EXHAUSTED with ErrorInfo MESSAGE_TOO_LARGE: the limit, and the size if known."""
    metadata = {"direction": "request", "limit": str(limit)}
    if size is not None:
        metadata["size"] = str(size)
    sized = f" of {size} bytes" if size is not None else ""
    return RpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"the request message{sized} is larger than the limit of {limit} bytes",
        error_info(MESSAGE_TOO_LARGE, **metadata),
    )


def backstop(limit: int) -> int:
    """grpc's own receive limit for a service whose limit is `limit`."""
    return 2 * limit + 64 * 1024
