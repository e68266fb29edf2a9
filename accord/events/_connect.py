"""A NATS connection that survives server restarts."""

import logging

import nats
from nats.aio.client import Client as NatsClient

_log = logging.getLogger("accord.events")


async def connect(url: str, *, name: str | None = None) -> NatsClient:
    """Connect to `url` (`NATS_URL`: one server, or several comma-separated servers of a
    cluster) and keep reconnecting forever: a restarted server is found again, and the
    pull consumers of applications on this connection keep fetching."""

    async def disconnected() -> None:
        _log.warning("NATS disconnected; reconnecting")

    async def reconnected() -> None:
        _log.info("NATS reconnected to %s", client.connected_url)

    async def error(exc: Exception) -> None:
        _log.debug("NATS connection error: %r", exc)

    client: NatsClient = await nats.connect(
        servers=[server.strip() for server in url.split(",") if server.strip()],
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
    )
    return client
