"""The edge as one unit: the control plane's servers, the compiled configuration, and Envoy.

`Gateway.start` reads the contracts into a route table, starts what Envoy cannot do itself
(reflection and aggregated health over gRPC, API-key checks over HTTP, all on loopback ports
of their own), compiles the configuration with those ports (`config.py`), writes it, and
starts Envoy on it. Every call enters Envoy on `settings.listen`; none enters Python unless it
asks for reflection or health, or carries an API key.
"""

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pb2

from accord.auth import Authenticator, PrincipalSigner
from accord.descriptors import load_image
from accord.ports import PortReservation, free_port
from gateway import reflection
from gateway.api_keys import ApiKeyAuthz, AuthzServer
from gateway.backends import BackendPool
from gateway.config import Ports, compile_config
from gateway.envoy import Envoy, EnvoyExited
from gateway.health import GatewayHealth
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)
# How often the edge tries to start Envoy when a port it picked was taken meanwhile.
ENVOY_ATTEMPTS = 3


class Gateway:
    """The control plane and the Envoy it configures."""

    def __init__(
        self, settings: GatewaySettings, image: descriptor_pb2.FileDescriptorSet | None = None
    ) -> None:
        self.settings = settings
        _check_keys(settings)
        self.routes = RouteTable(image or load_image(settings.image), settings.routes)
        pools: dict[tuple[str, ...], BackendPool] = {}
        credentials = _upstream_credentials(settings)
        self.pools = {
            name: pools.setdefault(route.addresses, BackendPool(route.addresses, credentials))
            for name, route in self.routes.services.items()
        }
        self.health = GatewayHealth(self.pools)
        self.server = grpc.aio.server()
        self.authz = AuthzServer(
            ApiKeyAuthz(
                self.routes,
                Authenticator.from_settings(settings.auth),
                PrincipalSigner.from_settings(settings.auth),
            )
        )
        self.envoy: Envoy | None = None
        self.config: dict[str, Any] = {}
        self.port = 0
        self.metrics_port = 0
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    async def start(self) -> None:
        self.health.add_to(self.server)
        reflection.enable(self.server, self.routes.pool, self.routes.image, self.routes.services)
        control_port = self.server.add_insecure_port("127.0.0.1:0")
        await self.server.start()
        await self.authz.start()
        for pool in set(self.pools.values()):
            pool.start(self.settings.health_check_interval_s, self.settings.health_check_timeout_s)
        await self.health.refresh()
        # The listeners' free ports are held until Envoy binds them beside the reservation
        # (accord.ports); Envoy's admin listener cannot share, so a taken admin port (picked
        # free, then lost before Envoy bound it) means another try on another one.
        reserved = self._reserve()
        try:
            for attempt in range(1, ENVOY_ATTEMPTS + 1):
                ports = self._ports(control_port, reserved)
                try:
                    await self._start_envoy(ports)
                    break
                except EnvoyExited:
                    if self.settings.admin_port or attempt == ENVOY_ATTEMPTS:
                        raise
                    log.warning("envoy could not bind its admin port %d; another", ports.admin_port)
        finally:
            for reservation in reserved.values():
                reservation.release()
        assert self.envoy is not None
        self.port = ports.listen_port
        self.metrics_port = ports.metrics_port or 0
        if not self.routes.services:
            log.warning("no service is routed: set ACCORD_GATEWAY_ROUTES")
        log.info(
            "edge listening on %s:%d (envoy pid %d), routing %s",
            self.settings.listen.rpartition(":")[0],
            self.port,
            self.envoy.pid,
            ", ".join(self.routes.services) or "nothing",
        )

    def _reserve(self) -> dict[str, PortReservation]:
        """Reservations for the listeners whose port is 0 in the settings."""
        reserved = {}
        if not int(self.settings.listen.rpartition(":")[2]):
            reserved["listen"] = PortReservation()
        if self.settings.metrics_listen and not int(
            self.settings.metrics_listen.rpartition(":")[2]
        ):
            reserved["metrics"] = PortReservation()
        return reserved

    def _ports(self, control_port: int, reserved: dict[str, PortReservation]) -> Ports:
        """The edge's ports: the configured ones, a free (or reserved) one where it is 0."""
        listen = reserved["listen"].port if "listen" in reserved else self._configured_listen()
        metrics = None
        if self.settings.metrics_listen:
            metrics = (
                reserved["metrics"].port
                if "metrics" in reserved
                else int(self.settings.metrics_listen.rpartition(":")[2])
            )
        admin = self.settings.admin_port or free_port()
        return Ports(listen, admin, control_port, self.authz.port, metrics)

    def _configured_listen(self) -> int:
        return int(self.settings.listen.rpartition(":")[2])

    async def _start_envoy(self, ports: Ports) -> None:
        self.config = compile_config(self.settings, self.routes, ports)
        path = self._config_path()
        path.write_text(json.dumps(self.config, indent=1, sort_keys=True) + "\n")
        self.envoy = Envoy(
            path, ports.admin_port, self.settings.envoy_workers, self.settings.envoy_binary
        )
        await self.envoy.start()

    def _config_path(self) -> Path:
        directory = self.settings.config_dir
        if directory is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="accord-edge-")
            directory = Path(self._scratch.name)
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"envoy-{os.getpid()}.json"

    async def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING first, so balancers move away; then Envoy drains and the rest stops."""
        grace = self.settings.shutdown_grace_s if grace is None else grace
        await self.health.shutdown()
        if self.envoy is not None:
            await self.envoy.stop(max(grace, 1.0))
        await self.authz.stop()
        await self.server.stop(grace)
        for pool in set(self.pools.values()):
            await pool.close()
        if self._scratch is not None:
            self._scratch.cleanup()


def _upstream_credentials(settings: GatewaySettings) -> grpc.ChannelCredentials | None:
    """The control plane's health checks speak to services as Envoy does (mutual TLS)."""
    if settings.upstream_tls_ca_file is None:
        return None
    cert = settings.upstream_tls_cert_file
    key = settings.upstream_tls_key_file
    return grpc.ssl_channel_credentials(
        root_certificates=settings.upstream_tls_ca_file.read_bytes(),
        private_key=key.read_bytes() if key is not None else None,
        certificate_chain=cert.read_bytes() if cert is not None else None,
    )


def _check_keys(settings: GatewaySettings) -> None:
    """Production uses only keys it was given: a JWKS URL or an existing JWKS file."""
    auth = settings.auth
    if settings.mode == "development" or auth.jwks_url is not None:
        return
    if auth.jwks_file is None or not auth.jwks_file.exists():
        raise ValueError(
            f"production mode: no JWKS (ACCORD_GATEWAY_JWKS_URL, or an existing "
            f"ACCORD_GATEWAY_JWKS_FILE; {auth.jwks_file} is missing)"
        )
