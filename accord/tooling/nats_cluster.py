"""A local JetStream cluster: N nats-server processes on loopback, routed to each other.

For `make cluster` (failover by hand) and for the tests that kill nodes under load. Each
node is a `NatsServer` with its own name, store and ports; the route and monitor ports are
chosen up front because every node must know all routes before any of them starts. A
node keeps its ports across `kill` and `restart`, so a client's server list stays valid.

Ready means every running node answers 200 on plain `/healthz`: JetStream has a meta
leader and that node is current with it (`?js-enabled-only=true` answers too early).
"""

import asyncio
import contextlib
import os
import secrets
import socket
import urllib.error
import urllib.request
from pathlib import Path

import nats.errors
import nats.js.errors
from nats.js import JetStreamContext

from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer

_POLL = 0.1


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports: all probes stay bound until all are chosen."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind((host, 0))
        return [int(probe.getsockname()[1]) for probe in probes]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # An unreaped child still answers kill(0); its /proc state says it is a zombie.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().split()[2] != "Z"


class NatsCluster:
    """`size` JetStream nodes named n1..nN, stores under `root`/<name>."""

    def __init__(
        self,
        root: Path,
        *,
        size: int = 3,
        host: str = "127.0.0.1",
        cluster_name: str = "accord",
        client_ports: list[int] | None = None,
        security: ServerSecurity | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a cluster needs at least one node")
        ports = client_ports or [0] * size
        if len(ports) != size:
            raise ValueError(f"{len(ports)} client ports for {size} nodes")
        self.host = host
        self.names = [f"n{i + 1}" for i in range(size)]
        chosen = free_ports(2 * size, host)
        route_ports, self.monitor_ports = chosen[:size], chosen[size:]
        # With a generated configuration the routes authenticate too: a process that reaches
        # a route port must not join the cluster and see every message.
        route_auth = f"route:{secrets.token_urlsafe(18)}@" if security is not None else ""
        routes = ",".join(f"nats://{route_auth}{host}:{port}" for port in route_ports)
        self.nodes = [
            NatsServer(
                root / name,
                host=host,
                port=port,
                extra_args=[
                    *("-n", name, "-m", str(monitor)),
                    *("--cluster_name", cluster_name),
                    *("--cluster", f"nats://{route_auth}{host}:{route}", "--routes", routes),
                ],
                security=security,
            )
            for name, port, route, monitor in zip(
                self.names, ports, route_ports, self.monitor_ports, strict=True
            )
        ]

    @property
    def urls(self) -> list[str]:
        """Client URLs of every node, running or not (ports are real once started), with
        the developer's credentials when the configuration has them (scripts, tests)."""
        return [node.url for node in self.nodes]

    @property
    def nats_url(self) -> str:
        """The value for NATS_URL: every node, comma-separated, without credentials
        (services connect with their own)."""
        return ",".join(node.address for node in self.nodes)

    def running(self, node: int) -> bool:
        pid = self.nodes[node].pid
        return pid is not None and _alive(pid)

    def index_of(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise LookupError(f"no node named {name!r} in {self.names}") from None

    async def start(self, timeout: float = 30.0) -> None:
        """Start every node, then wait until the cluster has a meta leader."""
        try:
            # Together: a node cannot elect a meta leader alone, so none waits for another.
            await asyncio.gather(*(node.start() for node in self.nodes))
            await self.wait_healthy(timeout=timeout)
        except BaseException:
            await self.stop()
            raise

    async def wait_healthy(self, nodes: list[int] | None = None, timeout: float = 30.0) -> None:
        """Until each of `nodes` (default: those running) answers 200 on /healthz."""
        pending = [i for i in range(len(self.nodes)) if self.running(i)] if nodes is None else nodes
        try:
            async with asyncio.timeout(timeout):
                for i in pending:
                    await self._until_healthy(i)
        except TimeoutError:
            raise TimeoutError(
                f"JetStream cluster not healthy within {timeout}s: "
                f"{[self.names[i] for i in pending if not self._healthy(i)]}"
            ) from None

    async def _until_healthy(self, node: int) -> None:
        while True:
            if await asyncio.to_thread(self._healthy, node):
                return
            await asyncio.sleep(_POLL)

    def _healthy(self, node: int) -> bool:
        url = f"http://{self.host}:{self.monitor_ports[node]}/healthz"
        try:
            with urllib.request.urlopen(url, timeout=1.0) as reply:
                return int(reply.status) == 200
        except (urllib.error.URLError, OSError):  # 503 until current, refused while down
            return False

    async def kill(self, node: int) -> None:
        """kill -9 one node; its store and ports stay for `restart`."""
        await self.nodes[node].kill()

    async def restart(self, node: int, timeout: float = 30.0) -> None:
        """Start a stopped or killed node again and wait until it has caught up."""
        await self.nodes[node].stop()  # reaps a node killed from outside; no-op otherwise
        await self.nodes[node].start()
        await self.wait_healthy([node], timeout)

    async def stop(self) -> None:
        await asyncio.gather(*(node.stop() for node in self.nodes))

    async def stream_leader(self, js: JetStreamContext, stream: str) -> int:
        """The node leading `stream` now; LookupError while it has none (an election)."""
        info = await js.stream_info(stream)
        leader = info.cluster.leader if info.cluster else None
        if not leader:
            raise LookupError(f"stream {stream!r} has no leader right now")
        return self.index_of(leader)

    async def wait_stream_leader(
        self, js: JetStreamContext, stream: str, timeout: float = 30.0
    ) -> int:
        """The leader of `stream` once it has one and every replica is current (so not
        while a node holding a replica is down). A stream just created finds no responder
        for its first publishes until then."""
        async with asyncio.timeout(timeout):
            while True:
                try:
                    info = await js.stream_info(stream)
                except nats.js.errors.NotFoundError:
                    raise
                except (nats.errors.Error, TimeoutError):  # the meta leader is being elected
                    await asyncio.sleep(_POLL)
                    continue
                cluster = info.cluster
                if cluster and cluster.leader and all(p.current for p in cluster.replicas or []):
                    return self.index_of(cluster.leader)
                await asyncio.sleep(_POLL)

    async def stream_followers(self, js: JetStreamContext, stream: str) -> list[int]:
        """The other nodes holding a replica of `stream`."""
        info = await js.stream_info(stream)
        replicas = info.cluster.replicas if info.cluster else None
        return [self.index_of(peer.name) for peer in replicas or [] if peer.name]

    async def __aenter__(self) -> "NatsCluster":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
