"""The processes behind the edge benchmark's paths: the orders service, a plain Envoy, the edge.

`start_paths` starts them against a NATS server, places the order every call reads, and
yields where each path listens and what its calls carry.
"""

import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from acme.orders.v2 import orders_pb2

from accord.settings import CommonSettings
from accord.tooling import devkeys
from accord.tooling.nats_cluster import free_ports
from accord.tooling.nats_config import development_security
from bench._common import fresh_nats_server
from bench.edge_bench import Path_, answer_size, place_order, spawn, wait_ready
from gateway.envoy import Envoy

# Both Envoys get one worker: the comparison is of what runs per call, not of parallelism.
ENVOY_WORKERS = 1


@dataclass
class Started:
    paths: dict[str, Path_]
    backend_pid: int
    request: bytes
    answer_bytes: int
    comparisons: list[tuple[str, str]] = field(default_factory=list)
    # The configuration the edge's control plane compiled and its Envoy runs.
    edge_config: Path | None = None


def plain_envoy_config(listen_port: int, admin_port: int, backend: str) -> dict[str, Any]:
    """Envoy as a user would put it in front of a gRPC service: HTTP/2 both ways, router only."""
    host, _, port = backend.rpartition(":")
    return {
        "admin": {"address": _socket("127.0.0.1", admin_port)},
        "static_resources": {
            "listeners": [
                {
                    "name": "plain",
                    "address": _socket("127.0.0.1", listen_port),
                    "filter_chains": [
                        {
                            "filters": [
                                {
                                    "name": "envoy.filters.network.http_connection_manager",
                                    "typed_config": {
                                        "@type": "type.googleapis.com/envoy.extensions.filters."
                                        "network.http_connection_manager.v3.HttpConnectionManager",
                                        "stat_prefix": "plain",
                                        "route_config": {
                                            "virtual_hosts": [
                                                {
                                                    "name": "all",
                                                    "domains": ["*"],
                                                    "routes": [
                                                        {
                                                            "match": {"prefix": "/"},
                                                            "route": {
                                                                "cluster": "backend",
                                                                "timeout": "0s",
                                                            },
                                                        }
                                                    ],
                                                }
                                            ]
                                        },
                                        "http_filters": [
                                            {
                                                "name": "envoy.filters.http.router",
                                                "typed_config": {
                                                    "@type": "type.googleapis.com/envoy."
                                                    "extensions.filters.http.router.v3.Router"
                                                },
                                            }
                                        ],
                                    },
                                }
                            ]
                        }
                    ],
                }
            ],
            "clusters": [
                {
                    "name": "backend",
                    "type": "STATIC",
                    "connect_timeout": "1s",
                    "typed_extension_protocol_options": {
                        "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3."
                            "HttpProtocolOptions",
                            "explicit_http_config": {"http2_protocol_options": {}},
                        }
                    },
                    "load_assignment": {
                        "cluster_name": "backend",
                        "endpoints": [
                            {"lb_endpoints": [{"endpoint": {"address": _socket(host, int(port))}}]}
                        ],
                    },
                }
            ],
        },
    }


def _socket(host: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": host, "port_value": port}}


@contextlib.asynccontextmanager
async def start_paths(old_gateway: Path | None = None) -> AsyncIterator[Started]:
    """The paths of one run, on a nats-server of their own that runs the generated
    configuration (each service its own identity, as `make run` does); with `old_gateway` (a
    checkout of the commit before the Envoy edge, e.g. `git archive e1d64ac`), the retired
    Python gateway too, measured the same way."""
    stack = contextlib.AsyncExitStack()
    async with stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="accord-edge-")))
        home = tmp / "home"
        devkeys.ensure_dev_keys(home)
        security = development_security(CommonSettings(home=home, mode="development"))
        nats_url = (await stack.enter_async_context(fresh_nats_server(security))).url
        common = {"NATS_URL": nats_url, "ACCORD_HOME": str(home), "ACCORD_MODE": "development"}
        direct_port, plain_port, plain_admin, gateway_port, old_port, inventory_port = free_ports(6)
        direct = f"127.0.0.1:{direct_port}"
        orders = await spawn(
            "services.orders",
            {
                **common,
                "ACCORD_ORDERS_PORT": str(direct_port),
                "ACCORD_GATEWAY_ADDRESS": f"127.0.0.1:{gateway_port}",
            },
        )
        stack.push_async_callback(_terminate, orders)
        await wait_ready(direct)
        # Orders prices an order from inventory's catalogue, asked through the edge; inventory
        # starts after orders, which provisions the streams inventory follows.
        inventory = f"127.0.0.1:{inventory_port}"
        catalogue = await spawn(
            "services.inventory", {**common, "ACCORD_INVENTORY_PORT": str(inventory_port)}
        )
        stack.push_async_callback(_terminate, catalogue)
        await wait_ready(inventory)

        config = tmp / "plain-envoy.json"
        config.write_text(json.dumps(plain_envoy_config(plain_port, plain_admin, direct)))
        plain = Envoy(config, plain_admin, concurrency=ENVOY_WORKERS)
        await plain.start()
        stack.push_async_callback(plain.stop)

        edge_address, edge_pid = await _start_edge(common, gateway_port, direct, inventory, stack)

        token = devkeys.mint_token("bench", ["orders:read", "orders:write"], home=home)
        bearer = (("authorization", f"Bearer {token}"),)
        order_id = await place_order(edge_address, bearer)
        # Every path carries the same token: the service verifies it (cached) on each of them.
        paths = {
            "direct": Path_(direct, bearer, None),
            "plain_envoy": Path_(f"127.0.0.1:{plain_port}", bearer, plain.pid),
            "edge": Path_(edge_address, bearer, edge_pid),
        }
        json_path = f"/v2/orders/{order_id}"
        paths["edge_http_json"] = Path_(
            edge_address,
            bearer,
            edge_pid,
            url_path=json_path,
            json_answer_bytes=await json_answer_size(edge_address, json_path, bearer),
        )
        comparisons = [
            ("edge", "plain_envoy"),
            ("edge", "direct"),
            ("plain_envoy", "direct"),
            ("edge_http_json", "edge"),
        ]
        if old_gateway is not None:
            old_address, old_pid = await _start_old_gateway(
                common, old_port, direct, old_gateway, stack
            )
            paths["python_gateway"] = Path_(old_address, bearer, old_pid)
            comparisons += [("python_gateway", "plain_envoy"), ("python_gateway", "direct")]
        answer = await answer_size(direct, order_id, bearer)
        yield Started(
            paths,
            orders.pid,
            orders_pb2.GetOrderRequest(order_id=order_id).SerializeToString(),
            answer,
            comparisons,
            next((home / "edge-config").glob("envoy-*.json")),
        )


async def json_answer_size(address: str, path: str, headers: tuple[tuple[str, str], ...]) -> int:
    """The size of one good HTTP/JSON GetOrder answer through the transcoder."""
    async with httpx.AsyncClient(http2=False, timeout=10) as client:
        answer = await client.get(f"http://{address}{path}", headers=dict(headers))
    answer.raise_for_status()
    return len(answer.content)


async def _start_old_gateway(
    common: dict[str, str],
    port: int,
    direct: str,
    checkout: Path,
    stack: contextlib.AsyncExitStack,
) -> tuple[str, int]:
    """The Python gateway as it was before this edge (rate limit off, as its own bench ran
    it), from a checkout of that commit: its own `gateway` and `accord` packages first."""
    address = f"127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        cwd=checkout,
        env={
            **os.environ,
            **common,
            "PYTHONPATH": f"{checkout}:{checkout / 'gen/python'}",
            "ACCORD_GATEWAY_LISTEN": address,
            "ACCORD_GATEWAY_METRICS_LISTEN": "",
            "ACCORD_GATEWAY_ROUTES": json.dumps({"acme.orders": [direct]}),
            "ACCORD_GATEWAY_RATE_LIMIT_PER_S": "0",
        },
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
    )
    stack.push_async_callback(_terminate, process)
    await wait_ready(address)
    return address, process.pid


async def _start_edge(
    common: dict[str, str],
    port: int,
    direct: str,
    inventory: str,
    stack: contextlib.AsyncExitStack,
) -> tuple[str, int]:
    """`python -m gateway` with everything on: JWT, rbac, both token buckets (set high enough
    never to refuse a call of the run, so they are charged, not felt), access log, metrics."""
    address = f"127.0.0.1:{port}"
    control = await spawn(
        "gateway",
        {
            **common,
            "ACCORD_GATEWAY_LISTEN": address,
            "ACCORD_GATEWAY_METRICS_LISTEN": f"127.0.0.1:{free_ports(1)[0]}",
            "ACCORD_GATEWAY_ROUTES": json.dumps(
                {"acme.orders": [direct], "acme.inventory": [inventory]}
            ),
            "ACCORD_GATEWAY_RATE_LIMIT_PER_S": "1000000",
            "ACCORD_GATEWAY_RATE_LIMIT_BURST": "1000000",
            "ACCORD_GATEWAY_PEER_RATE_LIMIT_PER_S": "1000000",
            "ACCORD_GATEWAY_PEER_RATE_LIMIT_BURST": "1000000",
            "ACCORD_GATEWAY_ENVOY_WORKERS": str(ENVOY_WORKERS),
            # The access log is written, to a file (not a terminal), as in production.
            "ACCORD_GATEWAY_ACCESS_LOG_PATH": str(Path(common["ACCORD_HOME"]) / "access.log"),
            "ACCORD_GATEWAY_CONFIG_DIR": str(Path(common["ACCORD_HOME"]) / "edge-config"),
        },
    )
    stack.push_async_callback(_terminate, control)
    await wait_ready(address)
    return address, _envoy_child(control.pid)


def _envoy_child(parent: int) -> int:
    """The pid of the Envoy the control plane started (its CPU is the edge's per-call cost)."""
    for child in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        if Path(f"/proc/{child}/comm").read_text().strip() == "envoy":
            return int(child)
    raise RuntimeError("the edge's envoy process was not found")


async def _terminate(process: Any) -> None:
    if process.returncode is None:
        process.terminate()
        await process.wait()
