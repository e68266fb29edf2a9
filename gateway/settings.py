"""The gateway's one settings object, read from `ACCORD_GATEWAY_*` environment variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from accord.contracts.descriptors import DEFAULT_IMAGE
from gateway.auth.settings import AuthSettings


class GatewaySettings(BaseSettings):
    """Everything an operator may change; the defaults are the ones DESIGN.md promises.

    Lists and maps are JSON in the environment, e.g.
    `ACCORD_GATEWAY_ROUTES='{"acme.orders.v1.OrderService": ["127.0.0.1:50051"]}'`.
    """

    model_config = SettingsConfigDict(env_prefix="ACCORD_GATEWAY_", extra="ignore")

    listen: str = "127.0.0.1:50050"
    metrics_listen: str = "127.0.0.1:9464"  # empty: no metrics endpoint
    image: Path = DEFAULT_IMAGE

    # Service full name, API package ("acme.orders.v1") or package prefix ("acme.orders")
    # → backend addresses. The most specific key wins, so one line can serve every version of
    # an API and another can move one version elsewhere.
    routes: dict[str, list[str]] = Field(default_factory=dict)

    # Calls without a client deadline get this one, so no backend call waits forever.
    default_deadline_s: float = 30.0
    # The same for calls with a streaming response (WatchOrder follows an order for as long as
    # it lives): None leaves them without a deadline unless the client sets one.
    default_stream_deadline_s: float | None = None

    health_check_interval_s: float = 2.0
    health_check_timeout_s: float = 1.0

    max_receive_message_bytes: int = 4 * 1024 * 1024
    max_send_message_bytes: int = 4 * 1024 * 1024

    # Token bucket per principal (per peer host for anonymous calls); rate 0 turns it off.
    rate_limit_per_s: float = 100.0
    rate_limit_burst: int = 200

    # Calls in flight beyond this are shed with UNAVAILABLE and a retry hint.
    max_concurrent_calls: int = 512
    shed_retry_after_s: float = 1.0

    # Keepalive enforcement: pings from clients more often than this are strikes; after
    # max_ping_strikes the connection is closed with GOAWAY (ENHANCE_YOUR_CALM).
    keepalive_time_s: float = 60.0
    keepalive_timeout_s: float = 20.0
    keepalive_permit_without_calls: bool = False
    keepalive_min_ping_interval_s: float = 30.0
    keepalive_max_ping_strikes: int = 2
    max_connection_idle_s: float = 600.0

    # Seconds that in-flight calls get to finish on SIGTERM.
    shutdown_grace_s: float = 10.0

    # Try uvloop when it is installed: it costs the proxy 5-10% less CPU per call.
    uvloop: bool = True

    auth: AuthSettings = Field(default_factory=AuthSettings)
