"""`make cluster`: a local 3-node JetStream cluster, for trying failover by hand.

The nodes keep their stores under ACCORD_HOME/cluster/ between runs. The cluster runs until
Ctrl-C; on a terminal, Enter prints which node leads what, and `r` Enter restarts the nodes
that were killed.
"""

import asyncio
import contextlib
import json
import signal
import sys
import urllib.request
from pathlib import Path
from typing import Any

import nats
import nats.errors
from nats.aio.client import Client as NatsClient

from accord.settings import NATS_URL_FILE, CommonSettings
from accord.tooling.nats_cluster import NatsCluster
from accord.tooling.nats_config import development_security

SIZE = 3
_WATCH = 0.5  # how often node liveness is checked, seconds


async def run_cluster(client_port: int = 0) -> int:
    """Run until SIGINT or SIGTERM. `client_port` P gives the nodes P, P+1, P+2 (0: free)."""
    settings = CommonSettings()
    root = settings.home / "cluster"
    ports = [client_port + i for i in range(SIZE)] if client_port else None
    # The configuration generated from the contracts, with the development identities
    # that `make run` (NATS_URL set to this cluster) gives its services.
    security = development_security(settings)
    cluster = NatsCluster(root, size=SIZE, client_ports=ports, security=security)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await cluster.start()
    except (RuntimeError, TimeoutError) as exc:
        print(f"accord cluster: {exc}", file=sys.stderr)
        return 1
    url_file = root / NATS_URL_FILE
    client: NatsClient | None = None
    lines = _terminal_lines(loop)
    try:
        url_file.write_text(cluster.nats_url + "\n")
        client = await _status_client(cluster)
        print(_banner(cluster, root, interactive=lines is not None), flush=True)
        await _watch(cluster, client, stop, lines)
    finally:
        if lines is not None:
            loop.remove_reader(sys.stdin.fileno())
        if client is not None:
            await client.close()
        await cluster.stop()
        url_file.unlink(missing_ok=True)
    print("accord cluster: stopped", flush=True)
    return 0


def _terminal_lines(loop: asyncio.AbstractEventLoop) -> "asyncio.Queue[str] | None":
    """Lines typed on the terminal; None when stdin is not one (nothing to read then)."""
    if not sys.stdin.isatty():
        return None
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        line = sys.stdin.readline()
        if line:
            lines.put_nowait(line)
        else:  # end of input (Ctrl-D): stop reading, keep running
            loop.remove_reader(sys.stdin.fileno())

    loop.add_reader(sys.stdin.fileno(), read)
    return lines


async def _status_client(cluster: NatsCluster) -> NatsClient:
    async def quiet(*_: object) -> None:
        """A killed node is the point here: reconnects are not worth a traceback."""

    return await nats.connect(
        servers=cluster.urls,
        name="accord-cluster",
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        error_cb=quiet,
        disconnected_cb=quiet,
        reconnected_cb=quiet,
    )


def _banner(cluster: NatsCluster, root: Path, *, interactive: bool) -> str:
    lines = [
        "",
        f"Local JetStream cluster of {SIZE} nodes; stores in {root}/. Ctrl-C stops it.",
    ]
    for i, name in enumerate(cluster.names):
        lines.append(f"  {name}  {cluster.urls[i]}  pid {cluster.nodes[i].pid}")
    lines += [
        "",
        "Point the platform at it (streams declared with `replicas: 3` get three copies):",
        f"  export NATS_URL={cluster.nats_url}",
        "  make run",
        "",
        "Try failover: kill a node by hand, e.g. the leader of a stream, and watch",
        "publishes stall for a few seconds while a new leader is elected:",
        f"  kill -9 {cluster.nodes[0].pid}    # {cluster.names[0]}",
    ]
    if interactive:
        lines.append("Enter: show nodes and stream leaders.  r Enter: restart killed nodes.")
    return "\n".join(lines) + "\n"


async def _watch(
    cluster: NatsCluster,
    client: NatsClient,
    stop: asyncio.Event,
    lines: "asyncio.Queue[str] | None",
) -> None:
    """Report nodes that die, and answer the terminal, until `stop`."""
    up = [cluster.running(i) for i in range(SIZE)]
    while not stop.is_set():
        line = await _next_line(lines, stop)
        for i, was_up in enumerate(up):
            if was_up and not cluster.running(i):
                print(f"accord cluster: {cluster.names[i]} is down", flush=True)
            up[i] = cluster.running(i)
        if line is None:
            continue
        if line.strip().lower() == "r":
            await _restart_down(cluster)
            up = [cluster.running(i) for i in range(SIZE)]
        print(await _status(cluster, client), flush=True)


async def _next_line(lines: "asyncio.Queue[str] | None", stop: asyncio.Event) -> str | None:
    """A typed line, or None after a short wait (so liveness is checked) or on `stop`."""
    waits: list[asyncio.Future[Any]] = [asyncio.ensure_future(stop.wait())]
    if lines is not None:
        waits.append(asyncio.ensure_future(lines.get()))
    done, pending = await asyncio.wait(waits, timeout=_WATCH, return_when=asyncio.FIRST_COMPLETED)
    for future in pending:
        future.cancel()
    got = [future.result() for future in done if future is not waits[0]]
    return str(got[0]) if got else None


async def _restart_down(cluster: NatsCluster) -> None:
    for i, name in enumerate(cluster.names):
        if not cluster.running(i):
            print(f"accord cluster: restarting {name}, waiting until it has caught up", flush=True)
            try:
                await cluster.restart(i)
            except (RuntimeError, TimeoutError) as exc:
                print(f"accord cluster: {name} did not come back: {exc}", flush=True)


async def _status(cluster: NatsCluster, client: NatsClient) -> str:
    meta = await asyncio.to_thread(_meta_leader, cluster)
    lines = [f"meta leader: {meta or 'none (election under way?)'}"]
    for i, name in enumerate(cluster.names):
        state = f"up, pid {cluster.nodes[i].pid}" if cluster.running(i) else "DOWN"
        lines.append(f"  {name}  {cluster.urls[i]}  {state}")
    return "\n".join(lines + await _stream_lines(client))


async def _stream_lines(client: NatsClient) -> list[str]:
    """One line per stream. Each is asked on its own: the stream list leaves out streams
    that are slow to answer (just after a failover), without saying so."""
    js = client.jetstream()
    try:
        reply = await client.request("$JS.API.STREAM.NAMES", b"{}", timeout=2.0)
        names: list[str] = json.loads(reply.data).get("streams") or []
    except (nats.errors.Error, TimeoutError) as exc:
        return [f"  streams: no answer now ({type(exc).__name__})"]
    lines = []
    for name in names:
        try:
            info = await js.stream_info(name)
        except (nats.errors.Error, TimeoutError) as exc:
            lines.append(f"  stream {name}: no answer now ({type(exc).__name__})")
            continue
        leader = info.cluster.leader if info.cluster else None
        lines.append(
            f"  stream {name}: R{info.config.num_replicas}, leader {leader or 'none'}, "
            f"{info.state.messages} messages"
        )
    return lines


def _meta_leader(cluster: NatsCluster) -> str | None:
    """The JetStream meta leader, from the monitor endpoint of any running node."""
    for i in range(SIZE):
        if not cluster.running(i):
            continue
        url = f"http://{cluster.host}:{cluster.monitor_ports[i]}/jsz"
        # A node killed since the check refuses; try the next one.
        with (
            contextlib.suppress(OSError, ValueError),
            urllib.request.urlopen(url, timeout=1.0) as reply,
        ):
            leader = json.load(reply).get("meta_cluster", {}).get("leader")
            return str(leader) if leader else None
    return None
