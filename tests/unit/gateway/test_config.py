"""The compiled Envoy configuration: valid for the real Envoy, reproducible, and saying what the
contracts say (a route per method, its policy as rbac rules, lifecycle headers)."""

import json
from pathlib import Path

import pytest

from accord.descriptors import load_image
from accord.tooling import devkeys
from gateway import envoy
from gateway.config import Ports, compile_config
from gateway.envoy_config.names import RBAC, RBAC_CAUSE
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings

PORTS = Ports(
    listen_port=50050, admin_port=9901, control_port=50100, authz_port=50101, metrics_port=9464
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> GatewaySettings:
    home = tmp_path_factory.mktemp("home")
    devkeys.ensure_dev_keys(home)
    return GatewaySettings.model_validate(
        {
            "mode": "development",
            "routes": {"acme": ["127.0.0.1:50051"]},
            "auth": {"ACCORD_HOME": str(home)},
        }
    )


@pytest.fixture(scope="module")
def config(settings: GatewaySettings) -> dict:  # type: ignore[type-arg]
    return compile_config(settings, RouteTable(load_image(), settings.routes), PORTS)


def _routes(config: dict) -> list[dict]:  # type: ignore[type-arg]
    manager = config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
    return manager["typed_config"]["route_config"]["virtual_hosts"][0]["routes"]  # type: ignore[no-any-return]


def test_envoy_accepts_the_configuration(config: dict) -> None:  # type: ignore[type-arg]
    envoy.validate(config)


def test_the_same_inputs_compile_to_the_same_bytes(settings: GatewaySettings, config: dict) -> None:  # type: ignore[type-arg]
    again = compile_config(settings, RouteTable(load_image(), settings.routes), PORTS)
    assert json.dumps(again, sort_keys=True) == json.dumps(config, sort_keys=True)


def test_every_method_has_a_route_with_its_required_scopes(config: dict) -> None:  # type: ignore[type-arg]
    by_path = {r["match"].get("path"): r for r in _routes(config) if "path" in r["match"]}
    place = by_path["/acme.orders.v2.OrderService/PlaceOrder"]
    rules = json.dumps(place["typed_per_filter_config"][RBAC])
    assert '"orders:write"' in rules
    shadow = place["typed_per_filter_config"][RBAC_CAUSE]["rbac"]["shadow_rules"]["policies"]
    assert "4-scope:orders:write" in shadow
    assert "1-credentials-required" in shadow
    assert len([p for p in by_path if p and p.startswith("/acme.")]) > 40


def test_a_deprecated_version_answers_with_its_lifecycle_headers(config: dict) -> None:  # type: ignore[type-arg]
    by_path = {r["match"].get("path"): r for r in _routes(config) if "path" in r["match"]}
    headers = {
        h["header"]["key"]
        for h in by_path["/acme.orders.v1.OrderService/GetOrder"]["response_headers_to_add"]
    }
    assert headers == {"deprecation", "sunset", "link"}
    assert "response_headers_to_add" not in by_path["/acme.orders.v2.OrderService/GetOrder"]


def test_unknown_paths_get_a_direct_unimplemented_answer(config: dict) -> None:  # type: ignore[type-arg]
    grpc_refusal, http_refusal = _routes(config)[-2:]
    assert grpc_refusal["match"]["prefix"] == "/"
    headers = {
        h["header"]["key"]: h["header"]["value"] for h in grpc_refusal["response_headers_to_add"]
    }
    assert headers["grpc-status"] == "12"
    assert "grpc-status-details-bin" in headers
    assert http_refusal["direct_response"]["status"] == 404
    body = json.loads(http_refusal["direct_response"]["body"]["inline_string"])
    assert body["details"][0]["reason"] == "SERVICE_UNKNOWN"


def test_production_refuses_the_development_jwks(tmp_path: Path) -> None:
    from gateway.server import Gateway

    settings = GatewaySettings.model_validate(
        {"mode": "production", "auth": {"ACCORD_HOME": str(tmp_path), "mode": "production"}}
    )
    with pytest.raises(ValueError, match="production"):
        Gateway(settings, load_image())


def test_accord_gateway_config_prints_the_same_bytes_every_time(
    settings: GatewaySettings, repo_root: Path
) -> None:
    """Two processes (their own hash seeds): map fields and all, byte for byte."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "ACCORD_HOME": str(settings.auth.home),
        "ACCORD_GATEWAY_ROUTES": json.dumps(settings.routes),
    }
    command = [sys.executable, "-m", "accord", "gateway", "config"]
    runs = [
        subprocess.run(command, env=env, cwd=repo_root, capture_output=True, check=True).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert b"/acme.orders.v2.OrderService/PlaceOrder" in runs[0]


@pytest.mark.parametrize(
    "url", ["https://issuer.example/.well-known/jwks.json", "http://127.0.0.1:8080/jwks"]
)
def test_a_jwks_url_gets_a_cluster_envoy_accepts(settings: GatewaySettings, url: str) -> None:
    with_url = settings.model_copy(
        update={"auth": settings.auth.model_copy(update={"jwks_url": url})}
    )
    config = compile_config(with_url, RouteTable(load_image(), with_url.routes), PORTS)
    names = [c["name"] for c in config["static_resources"]["clusters"]]
    assert "jwks" in names
    envoy.validate(config)
