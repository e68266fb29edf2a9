"""`python -m gateway`: run the edge (control plane + Envoy) until SIGINT or SIGTERM, then drain.

`python -m gateway config` prints the Envoy configuration the settings and contracts compile
to, with the ports it would use, and exits.
"""

import asyncio
import json
import logging
import signal
import sys
from typing import Any

from accord.descriptors import load_image
from accord.settings import ConfigurationError
from gateway.server import Gateway
from gateway.settings import GatewaySettings


async def serve(settings: GatewaySettings) -> None:
    gateway = Gateway(settings)
    await gateway.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"gateway: envoy on {settings.listen.rpartition(':')[0]}:{gateway.port}"
        + (f", metrics :{gateway.metrics_port}/metrics" if gateway.metrics_port else ""),
        flush=True,
    )
    await stop.wait()
    await gateway.stop()


def printable_config(settings: GatewaySettings) -> dict[str, Any]:
    """The configuration `serve` would write; ports it would pick at start (0 in the settings)
    are shown as fixed placeholders, so the same settings print the same bytes."""
    from gateway.config import Ports, compile_config
    from gateway.routes import RouteTable

    def port(address: str, placeholder: int) -> int:
        return int(address.rpartition(":")[2] or 0) or placeholder

    metrics = port(settings.metrics_listen, 9464) if settings.metrics_listen else None
    ports = Ports(
        listen_port=port(settings.listen, 50050),
        admin_port=settings.admin_port or 9901,
        control_port=port(settings.control_listen, 50100),
        authz_port=50101,
        metrics_port=metrics,
    )
    routes = RouteTable(load_image(settings.image), settings.routes)
    return compile_config(settings, routes, ports)


def print_config(settings: GatewaySettings) -> None:
    config = printable_config(settings)
    json.dump(config, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        settings = GatewaySettings()
        if sys.argv[1:] == ["config"]:
            print_config(settings)
            return
        asyncio.run(serve(settings))
    except ConfigurationError as error:
        logging.getLogger("gateway").error("the gateway refuses to start: %s", error)
        sys.exit(2)


if __name__ == "__main__":
    main()
