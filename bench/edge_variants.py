"""Where the edge's per-call cost goes: its own configuration and variants of it, side by side.

    python -m bench.edge_variants [--seconds 5] [--repeats 3] [--in-flight 1] [--only NAME ...]

The processes of `bench.edge_bench` (the real orders service, a plain Envoy pass-through, the
edge) start once; then one more Envoy per variant of the configuration the edge's control plane
compiled, each on its own ports and sharing the control plane and the backends. Every path is
driven by h2load in rounds whose order rotates; per path: Envoy's CPU per call and p50, and
within each round the difference of p50 from the plain Envoy's (medians over the rounds).
A variant takes something out (a filter, a setting), so the difference from `edge` is what
that thing costs per call. Results: bench/results/edge-variants.json.
"""

import argparse
import asyncio
import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from accord.tooling.nats_cluster import free_ports
from bench._common import machine, median
from bench.edge_bench import Load, Path_, frame, load_average, require_h2load, rotating_rounds
from gateway.envoy import Envoy

RESULTS = Path("bench/results/edge-variants.json")
Json = dict[str, Any]
AUTH_FILTERS = (
    "envoy.filters.http.jwt_authn",
    "envoy.filters.http.ext_authz",
    "envoy.filters.http.header_to_metadata",
    "envoy.filters.http.rbac",
    "rbac_cause",
    "accord_token_checks",
    "envoy.filters.http.local_ratelimit",
)


def _manager(config: Json) -> Json:
    listener = config["static_resources"]["listeners"][0]
    manager: Json = listener["filter_chains"][0]["filters"][0]["typed_config"]
    return manager


def without_filters(*names: str) -> Callable[[Json], Json]:
    """The edge without the named HTTP filters (and their per-route configuration)."""

    def variant(config: Json) -> Json:
        manager = _manager(config)
        manager["http_filters"] = [f for f in manager["http_filters"] if f["name"] not in names]
        for host in manager["route_config"]["virtual_hosts"]:
            for route in host["routes"]:
                for name in names:
                    route.get("typed_per_filter_config", {}).pop(name, None)
        return config

    return variant


def router_only(config: Json) -> Json:
    """The edge's routes, connection manager and clusters, with the router as the only filter."""
    manager = _manager(config)
    keep = {"envoy.filters.http.router"}
    return without_filters(*(f["name"] for f in manager["http_filters"] if f["name"] not in keep))(
        config
    )


def without_access_log(config: Json) -> Json:
    _manager(config).pop("access_log", None)
    return config


VARIANTS: dict[str, Callable[[Json], Json]] = {
    "edge_without_auth": without_filters(*AUTH_FILTERS),
    "edge_without_rbac_cause": without_filters("rbac_cause"),
    "edge_without_access_log": without_access_log,
    "edge_router_only": router_only,
}


async def start_variant(
    name: str, config: Json, scratch: Path, variant: Callable[[Json], Json]
) -> Envoy:
    """An Envoy on `variant(config)`, listening on a free port of its own."""
    changed = variant(copy.deepcopy(config))
    listen, admin = free_ports(2)
    listener = changed["static_resources"]["listeners"][0]
    listener["address"]["socket_address"]["port_value"] = listen
    changed["static_resources"]["listeners"] = [listener]  # no second metrics listener
    changed["admin"]["address"]["socket_address"]["port_value"] = admin
    path = scratch / f"{name}.json"
    path.write_text(json.dumps(changed))
    envoy = Envoy(path, admin, concurrency=1)
    envoy.listen_port = listen  # type: ignore[attr-defined]
    await envoy.start()
    return envoy


async def bench(
    seconds: float, repeats: int, in_flight: int, only: list[str] | None
) -> dict[str, Any]:
    from bench.edge_paths import start_paths

    require_h2load()
    variants = {k: v for k, v in VARIANTS.items() if not only or k in only}
    async with start_paths() as started:
        assert started.edge_config is not None
        config = json.loads(started.edge_config.read_text())
        paths = {k: v for k, v in started.paths.items() if k in ("plain_envoy", "edge")}
        bearer = started.paths["edge"].headers
        envoys = []
        with tempfile.TemporaryDirectory(prefix="accord-variants-") as tmp:
            scratch = Path(tmp)
            try:
                for name, variant in variants.items():
                    envoy = await start_variant(name, config, scratch, variant)
                    envoys.append(envoy)
                    address = f"127.0.0.1:{envoy.listen_port}"  # type: ignore[attr-defined]
                    paths[name] = Path_(address, bearer, envoy.pid)
                body = scratch / "request.bin"
                body.write_bytes(frame(started.request))
                load_before = load_average()
                load = Load(
                    body, in_flight, seconds, started.answer_bytes, started.backend_pid, scratch
                )
                rounds = await rotating_rounds(repeats, paths, load)
            finally:
                for envoy in envoys:
                    await envoy.stop()
    figures: dict[str, Any] = {}
    for name in paths:
        figures[name] = {
            "envoy_cpu_us_per_call": round(
                median([r[name].proxy_cpu_s / r[name].calls * 1e6 for r in rounds]), 1
            ),
            "p50_ms": round(median([r[name].p50_ms for r in rounds]), 3),
            "added_p50_ms_vs_plain_envoy": round(
                median([r[name].p50_ms - r["plain_envoy"].p50_ms for r in rounds]), 3
            ),
            "added_p50_ms_vs_edge": round(
                median([r[name].p50_ms - r["edge"].p50_ms for r in rounds]), 3
            ),
            "rounds": [
                {"p50_ms": r[name].p50_ms, "cpu_us": r[name].proxy_cpu_s / r[name].calls * 1e6}
                for r in rounds
            ],
        }
    return {
        "in_flight": in_flight,
        "paths": figures,
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--in-flight", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="variants to run (default all)")
    args = parser.parse_args()
    results = asyncio.run(bench(args.seconds, args.repeats, args.in_flight, args.only))
    report = {
        "command": "python -m bench.edge_variants "
        f"--seconds {args.seconds:g} --repeats {args.repeats} --in-flight {args.in_flight}",
        "machine": machine(),
        **results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    for name, path in results["paths"].items():
        print(
            f"{name}: envoy CPU {path['envoy_cpu_us_per_call']} us/call, p50 {path['p50_ms']} ms, "
            f"{path['added_p50_ms_vs_plain_envoy']:+} ms vs plain Envoy, "
            f"{path['added_p50_ms_vs_edge']:+} ms vs the edge"
        )
    print(f"load average {results['load_average_before']} -> {results['load_average_after']}")


if __name__ == "__main__":
    main()
