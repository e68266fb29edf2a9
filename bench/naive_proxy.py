"""A floor to compare the gateway with: the plainest grpc.aio pass-through proxy.

    python -m bench.naive_proxy LISTEN_PORT BACKEND_ADDRESS

Every unary method, bytes untouched, metadata and deadline passed on; no auth, limits,
logging or metrics. What the gateway costs beyond this is the price of its features.
"""

import asyncio
import sys
from typing import Any

import grpc


class _Forward(grpc.GenericRpcHandler):
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self.channel = channel
        self.methods: dict[str, Any] = {}

    def service(self, details: grpc.HandlerCallDetails) -> Any:
        method = self.methods.get(details.method)
        if method is None:
            method = self.methods[details.method] = self.channel.unary_unary(details.method)

        async def forward(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            metadata = tuple(context.invocation_metadata() or ())
            return await method(request, timeout=context.time_remaining(), metadata=metadata)

        return grpc.unary_unary_rpc_method_handler(forward)


async def serve(port: int, backend: str) -> None:
    channel = grpc.aio.insecure_channel(backend)
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((_Forward(channel),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


def main() -> None:
    port, backend = int(sys.argv[1]), sys.argv[2]
    try:
        import uvloop  # the gateway uses it when installed; so does its floor
    except ImportError:
        asyncio.run(serve(port, backend))
    else:
        uvloop.run(serve(port, backend))


if __name__ == "__main__":
    main()
