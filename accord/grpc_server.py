"""A service's gRPC server: its servicers plus health and reflection, started and stopped as one."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from accord.error_mapping import ErrorMapping
from accord.message_size import DEFAULT_MAX_REQUEST_BYTES, backstop

Registrar = Callable[[grpc.aio.Server], None]


@dataclass
class GrpcServer:
    """A started grpc.aio server and the health servicer that reports on it."""

    server: grpc.aio.Server
    health: health.aio.HealthServicer
    port: int
    services: Sequence[str]

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ("", *self.services):
            await self.health.set(name, status)

    async def start(self, serving: bool = True) -> None:
        """Take calls, the health saying SERVING, or with `serving=False`, NOT_SERVING until
        `set_serving(True)` (a service whose event handlers start meanwhile). Once started,
        `stop` gives the port back."""
        await self.set_serving(serving)
        await self.server.start()

    async def stop(self, grace: float) -> None:
        """Report NOT_SERVING first, so balancers move away, then let calls finish."""
        await self.set_serving(False)
        await self.server.stop(grace)


def mutual_tls(cert: Path, key: Path, client_ca: Path) -> grpc.ServerCredentials:
    """Server TLS that also requires a client certificate signed by `client_ca`: only a peer
    holding one (the edge) can open a connection."""
    return grpc.ssl_server_credentials(
        [(key.read_bytes(), cert.read_bytes())],
        root_certificates=client_ca.read_bytes(),
        require_client_auth=True,
    )


def bind_grpc_server(
    address: str,
    registrars: Sequence[Registrar],
    services: Sequence[str],
    interceptors: Sequence[grpc.aio.ServerInterceptor] = (),
    credentials: grpc.ServerCredentials | None = None,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
) -> GrpcServer:
    """Bind `address` (port 0 picks a free one), register servicers, health and reflection;
    with `credentials`, only over TLS. It takes calls once started (`GrpcServer.start`); a
    taken port fails here (RuntimeError), before anything else of the service starts.

    Every call passes the error mapping first (outermost), so that whatever a servicer or a
    later interceptor raises reaches the client as an honest status (accord.error_mapping).
    grpc's receive limit is the backstop above `max_request_bytes`, which the contract
    enforcement checks message by message with a detailed refusal (accord.message_size).
    """
    # No SO_REUSEPORT (grpc's default on Linux): a second process on a taken port fails to
    # start instead of silently sharing the port's calls with the first.
    server = grpc.aio.server(
        interceptors=[ErrorMapping(), *interceptors],
        options=[
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", backstop(max_request_bytes)),
        ],
    )
    for register in registrars:
        register(server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (
            *services,
            health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
            reflection.SERVICE_NAME,
        ),
        server,
    )
    if credentials is None:
        port = server.add_insecure_port(address)
    else:
        port = server.add_secure_port(address, credentials)
    return GrpcServer(server, health_servicer, port, services)
