"""The request size limit at the edge, a backstop to each service's own exact check.

Each service checks every request message against the limit before it parses it, client
streams message by message, and refuses with RESOURCE_EXHAUSTED and ErrorInfo
MESSAGE_TOO_LARGE (accord/message_size.py): that check is exact for every shape and every path
to the service. Envoy has no filter that reads gRPC message lengths, so the edge adds what it
can do natively, where it matters:
- methods whose request is one message (unary, server streaming) have Envoy's buffer filter on
  their route, limited to one gRPC frame of the limit: a larger body is refused before any of
  it reaches a service (413, mapped to RESOURCE_EXHAUSTED with the same details). The buffer
  filter checks what it holds while the body arrives, so a body that comes whole in its last
  HTTP/2 frame (at most 16 KiB) goes on to the service, whose check and backstop cover it;
- HTTP/JSON bodies are limited by the transcoder (`max_request_body_size`, answered 413 with
  a JSON google.rpc.Status in local_replies.py);
- client streams are the services' to check: Envoy streams them and never holds a message.
The filter is off unless a route turns it on, so no other route pays for it.
"""

from accord.descriptors import MethodContract
from gateway.envoy_config.shapes import Json, typed
from gateway.settings import GatewaySettings

BUFFER = "envoy.filters.http.buffer"
GRPC_FRAME_PREFIX = 5  # a gRPC message's flag byte and length


def buffer_filter(settings: GatewaySettings) -> Json:
    """The buffer filter, off by default (`per_route` turns it on)."""
    return {
        "name": BUFFER,
        "disabled": True,
        "typed_config": {
            "@type": typed("extensions.filters.http.buffer.v3", "Buffer"),
            "max_request_bytes": _frame_limit(settings),
        },
    }


def per_route(settings: GatewaySettings, method: MethodContract) -> Json:
    """The buffer filter on the route of a method whose request is one message."""
    if method.client_streaming:
        return {}
    return {
        BUFFER: {
            "@type": typed("extensions.filters.http.buffer.v3", "BufferPerRoute"),
            "buffer": {"max_request_bytes": _frame_limit(settings)},
        }
    }


def _frame_limit(settings: GatewaySettings) -> int:
    return settings.max_receive_message_bytes + GRPC_FRAME_PREFIX
