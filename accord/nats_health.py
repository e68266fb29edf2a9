"""A service's NATS connection, told in its health and its log.

A service whose NATS connection is down cannot serve (its state lives in JetStream): its gRPC
health says NOT_SERVING until the connection is back, then SERVING again, so that a balancer
or the edge sends its calls elsewhere meanwhile. Each event of the connection is one log line:
a reconnect attempt that fails says why in a line, with no traceback.
"""

import logging

from nats.aio.client import Client as NatsClient

from accord.grpc_server import GrpcServer

log = logging.getLogger("accord.nats")


class NatsHealth:
    """The callbacks of one service's NATS connection."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._grpc: GrpcServer | None = None
        self._stopping = False

    async def follow(self, grpc_server: GrpcServer, nc: NatsClient) -> None:
        """From now on, `grpc_server`'s health follows the connection (as it stands now)."""
        self._grpc = grpc_server
        if not nc.is_connected:
            await self._serving(False)

    def stopping(self) -> None:
        self._stopping = True

    async def disconnected(self) -> None:
        if self._stopping:
            return
        log.warning("%s: NATS connection lost; reconnecting, NOT_SERVING meanwhile", self.name)
        await self._serving(False)

    async def reconnected(self) -> None:
        if self._stopping:
            return
        log.info("%s: NATS connection back; SERVING", self.name)
        await self._serving(True)

    async def error(self, error: Exception) -> None:
        # nats-py reports each failed reconnect attempt here (by default with a traceback).
        text = str(error).strip() or "no detail"
        log.warning("%s: NATS: %s: %s", self.name, type(error).__name__, text)

    async def _serving(self, serving: bool) -> None:
        if self._grpc is not None and not self._stopping:
            await self._grpc.set_serving(serving)
