"""The gateway tests' fixtures (echo contract, echo backend, gateway on loopback), shared here
so the auth tests meet authentication exactly as a client does: through a real gateway."""

from tests.integration.gateway.conftest import (
    auth_home,
    backend,
    channel,
    echo_image,
    echo_types,
    gateway,
    start_gateway,
)

__all__ = [
    "auth_home",
    "backend",
    "channel",
    "echo_image",
    "echo_types",
    "gateway",
    "start_gateway",
]
