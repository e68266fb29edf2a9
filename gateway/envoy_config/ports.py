"""Where the processes around Envoy listen, known before the configuration is written."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Ports:
    """Where the processes around Envoy listen, known before the configuration is written."""

    listen_port: int
    admin_port: int
    control_port: int  # the control plane's gRPC server (reflection, health)
    authz_port: int  # the control plane's HTTP server for ext_authz (API keys)
    metrics_port: int | None = None
