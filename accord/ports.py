"""Free loopback ports, held until the server meant for them takes them.

Picking a free port and binding it later leaves a window in which something else takes it:
an outgoing connection's ephemeral port, another test's server. A reservation closes the
window: a socket bound to the port with SO_REUSEPORT and never listening keeps the kernel
from handing the port to anyone else, while a server that sets SO_REUSEPORT too (every
Envoy listener on Linux does) binds it beside. Release it once that server listens.
"""

import socket


class PortReservation:
    """A free port on `host`, kept until `release()` (or the end of a `with` block)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        self._socket.bind((host, 0))
        self.port: int = self._socket.getsockname()[1]

    def release(self) -> None:
        self._socket.close()

    def __enter__(self) -> "PortReservation":
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def free_port(host: str = "127.0.0.1") -> int:
    """A port free now, for a server that binds it at once (no SO_REUSEPORT needed)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
