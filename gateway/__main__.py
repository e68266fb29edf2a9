"""`python -m gateway`: run the gateway until SIGINT or SIGTERM, then drain."""

import asyncio
import logging
import signal
import sys

from accord.settings import ConfigurationError
from gateway.server import Gateway
from gateway.settings import GatewaySettings


async def serve(settings: GatewaySettings) -> None:
    gateway = Gateway(settings)
    await gateway.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    logging.getLogger("gateway").info(
        "event loop: %s.%s", type(loop).__module__, type(loop).__name__
    )
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(
        f"gateway: grpc {settings.listen.rpartition(':')[0]}:{gateway.port}"
        + (f", metrics :{gateway.metrics_port}" if gateway.metrics_port else ""),
        flush=True,
    )
    await stop.wait()
    await gateway.stop()


def main() -> None:
    settings = GatewaySettings()
    # Every call writes an access-log line: skip the record fields nobody reads here (the
    # logging HOWTO's "Optimization" list), the caller's frame walk above all.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    # The access log is one JSON object per line; everything else is plain text.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    access = logging.getLogger("accord.gateway.access")
    access.propagate = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.addHandler(handler)
    try:
        _run(settings)
    except ConfigurationError as error:
        logging.getLogger("gateway").error("the gateway refuses to start: %s", error)
        sys.exit(2)


def _run(settings: GatewaySettings) -> None:
    if settings.uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            uvloop.run(serve(settings))
            return
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
