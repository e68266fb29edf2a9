"""The gateway process's gRPC server: where every request enters.

`Router.service` is the entry: it looks the call's path up among the routed methods (each
registered with its real RPC shape, see pipeline.py) and answers every other path with a
refusal that names what is served (routes.py). Health and reflection sit beside it.
"""

import logging
from collections.abc import Sequence
from typing import Any, TypeAlias

import grpc
from google.protobuf import descriptor_pb2

from accord.contracts.descriptors import load_image
from accord.rpc_status import RpcError
from gateway import reflection
from gateway.auth import Authenticator, PrincipalSigner
from gateway.backends import BackendPool
from gateway.health import GatewayHealth
from gateway.observability import CallRecord, Metrics, finish
from gateway.pipeline import REQUEST_ID, Context, Pipeline, request_id_of
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"
# Refusals are counted under one label: paths are the caller's choice, labels must be bounded.
UNROUTED = "(unrouted)"


class Router(grpc.GenericRpcHandler):
    """Path → the routed method's handler, or a handler that refuses with UNIMPLEMENTED."""

    def __init__(self, handlers: dict[str, Handler], routes: RouteTable, metrics: Metrics):
        self.handlers = handlers
        self.routes = routes
        self.metrics = metrics

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> "Handler | None":
        handler = self.handlers.get(handler_call_details.method)
        if handler is not None:
            return handler
        return self._refusal(self.routes.refusal(handler_call_details.method))

    def _refusal(self, error: RpcError) -> Handler:
        # Stream-stream accepts a call of any shape, and the refusal needs no request.
        async def refuse(requests: Any, context: Context) -> None:
            record = CallRecord(request_id_of(context), UNROUTED)
            record.code = error.code
            finish(record, self.metrics)
            status = error.to_status()
            trailers = (*status.trailing_metadata, (REQUEST_ID, record.request_id))
            await context.abort(status.code, status.details, trailers)

        return grpc.stream_stream_rpc_method_handler(refuse)


class Gateway:
    """Routes, backends, limits, health, reflection and metrics of one gateway process."""

    def __init__(
        self, settings: GatewaySettings, image: descriptor_pb2.FileDescriptorSet | None = None
    ) -> None:
        self.settings = settings
        self.routes = RouteTable(image or load_image(settings.image), settings.routes)
        # One pool per distinct address list, so services on one backend share its channels.
        channel_options = [
            ("grpc.max_receive_message_length", _backstop(settings.max_send_message_bytes)),
            ("grpc.max_send_message_length", _backstop(settings.max_receive_message_bytes)),
        ]
        pools: dict[tuple[str, ...], BackendPool] = {}
        self.pools = {
            name: pools.setdefault(route.addresses, BackendPool(route.addresses, channel_options))
            for name, route in self.routes.services.items()
        }
        self.metrics = Metrics()
        self.health = GatewayHealth(self.pools)
        self.pipeline = Pipeline(
            settings,
            self.pools,
            Authenticator.from_settings(settings.auth),
            PrincipalSigner.from_settings(settings.auth),
            self.metrics,
        )
        self.server = grpc.aio.server(options=server_options(settings))
        self.port = 0
        self.metrics_port = 0
        self._metrics_server: Any = None

    async def start(self) -> None:
        server = self.server
        self.health.add_to(server)
        reflection.enable(server, self.routes.pool, self.routes.image, self.routes.services)
        handlers = {
            path: self.pipeline.handler(route) for path, route in self.routes.methods.items()
        }
        server.add_generic_rpc_handlers((Router(handlers, self.routes, self.metrics),))
        self.port = server.add_insecure_port(self.settings.listen)
        for pool in set(self.pools.values()):
            pool.start(self.settings.health_check_interval_s, self.settings.health_check_timeout_s)
        await self.health.refresh()
        if self.settings.metrics_listen:
            self._metrics_server, self.metrics_port = self.metrics.serve(
                self.settings.metrics_listen
            )
        await server.start()
        if not self.routes.services:
            log.warning("no service is routed: set ACCORD_GATEWAY_ROUTES")
        log.info(
            "gateway listening on %s:%d, routing %s",
            self.settings.listen.rpartition(":")[0],
            self.port,
            ", ".join(self.routes.services) or "nothing",
        )

    async def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING first, so balancers move away; then in-flight calls get `grace`."""
        await self.health.shutdown()
        await self.server.stop(self.settings.shutdown_grace_s if grace is None else grace)
        for pool in set(self.pools.values()):
            await pool.close()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()


def server_options(settings: GatewaySettings) -> Sequence[tuple[str, int]]:
    ms = 1000
    return [
        ("grpc.max_receive_message_length", _backstop(settings.max_receive_message_bytes)),
        ("grpc.max_send_message_length", _backstop(settings.max_send_message_bytes)),
        ("grpc.keepalive_time_ms", int(settings.keepalive_time_s * ms)),
        ("grpc.keepalive_timeout_ms", int(settings.keepalive_timeout_s * ms)),
        ("grpc.keepalive_permit_without_calls", int(settings.keepalive_permit_without_calls)),
        # A client pinging more often than this collects strikes; too many close the connection.
        (
            "grpc.http2.min_recv_ping_interval_without_data_ms",
            int(settings.keepalive_min_ping_interval_s * ms),
        ),
        (
            "grpc.http2.min_ping_interval_without_data_ms",
            int(settings.keepalive_min_ping_interval_s * ms),
        ),
        ("grpc.http2.max_ping_strikes", settings.keepalive_max_ping_strikes),
        ("grpc.max_connection_idle_ms", int(settings.max_connection_idle_s * ms)),
    ]


def _backstop(limit: int) -> int:
    """grpc's own size limit, set above ours: the pipeline refuses an oversized message with
    a detailed status, and grpc still stops anything far beyond it before it is buffered."""
    return 2 * limit + 1024
