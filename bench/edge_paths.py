"""The processes behind the edge benchmark's paths: the orders service, a plain Envoy, the edge.

`start_paths` starts them against a NATS server, places the order every call reads, and
yields where each path listens and what its calls carry.
"""

import contextlib
import json
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acme.orders.v2 import orders_pb2

from accord import devkeys
from accord.nats_cluster import free_ports
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
async def start_paths(nats_url: str) -> AsyncIterator[Started]:
    stack = contextlib.AsyncExitStack()
    async with stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="accord-edge-")))
        home = tmp / "home"
        devkeys.ensure_dev_keys(home)
        common = {"NATS_URL": nats_url, "ACCORD_HOME": str(home), "ACCORD_MODE": "development"}
        direct_port, plain_port, plain_admin, gateway_port = free_ports(4)
        direct = f"127.0.0.1:{direct_port}"
        orders = await spawn("services.orders", {**common, "ACCORD_ORDERS_PORT": str(direct_port)})
        stack.push_async_callback(_terminate, orders)
        await wait_ready(direct)

        config = tmp / "plain-envoy.json"
        config.write_text(json.dumps(plain_envoy_config(plain_port, plain_admin, direct)))
        plain = Envoy(config, plain_admin, concurrency=ENVOY_WORKERS)
        await plain.start()
        stack.push_async_callback(plain.stop)

        started = await _start_old_gateway(common, gateway_port, direct, stack)

        token = devkeys.mint_token("bench", ["orders:read", "orders:write"], home=home)
        bearer = (("authorization", f"Bearer {token}"),)
        order_id = await place_order(started[0], bearer)
        direct_headers = _direct_headers(home)
        paths = {
            "direct": Path_(direct, direct_headers, None),
            "plain_envoy": Path_(f"127.0.0.1:{plain_port}", direct_headers, plain.pid),
            "python_gateway": Path_(started[0], bearer, started[1]),
        }
        answer = await answer_size(direct, order_id, direct_headers)
        yield Started(
            paths,
            orders.pid,
            orders_pb2.GetOrderRequest(order_id=order_id).SerializeToString(),
            answer,
            [("python_gateway", "plain_envoy"), ("plain_envoy", "direct")],
        )


def _direct_headers(home: Path) -> tuple[tuple[str, str], ...]:
    """What a call straight at the service carries: the principal the gateway would sign."""
    from accord.auth import PrincipalSigner
    from accord.identity import Principal

    # One header for the whole run, so it is signed with an hour's life.
    signer = PrincipalSigner(devkeys.ensure_principal_key(home), ttl=3600)
    principal = Principal("bench", frozenset({"orders:read", "orders:write"}), "jwt")
    return tuple(signer.headers(principal, "acme.orders.v2.OrderService"))


async def _start_old_gateway(
    common: dict[str, str], port: int, direct: str, stack: contextlib.AsyncExitStack
) -> tuple[str, int]:
    address = f"127.0.0.1:{port}"
    gateway = await spawn(
        "gateway",
        {
            **common,
            "ACCORD_GATEWAY_LISTEN": address,
            "ACCORD_GATEWAY_METRICS_LISTEN": "",
            "ACCORD_GATEWAY_ROUTES": json.dumps({"acme.orders": [direct]}),
            "ACCORD_GATEWAY_RATE_LIMIT_PER_S": "0",
        },
    )
    stack.push_async_callback(_terminate, gateway)
    await wait_ready(address)
    return address, gateway.pid


async def _terminate(process: Any) -> None:
    if process.returncode is None:
        process.terminate()
        await process.wait()
