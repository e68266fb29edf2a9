"""Production mode: no development keys, and key files that fail keep nothing.

Before: a gateway without a JWKS URL quietly created and trusted `.accord/keys/dev-signing.jwk`,
so anyone on the host who could run `accord token` minted themselves an admin; and an API-key
file that failed to parse left the old keys valid, so a revocation that came with a typo
revoked nothing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from acme.inventory.v1 import inventory_pb2 as stock
from acme.inventory.v1 import inventory_pb2_grpc as stock_grpc
from joserfc.jwk import ECKey

from accord.descriptors import load_image
from accord.rpc_status import reason_of
from accord.settings import ConfigurationError
from accord.tooling import devkeys
from accord.tooling.nats_cluster import free_ports
from gateway.server import Gateway
from gateway.settings import GatewaySettings
from services.inventory import app as inventory_app
from tests.security.conftest import Platform
from tests.support.gateways import gateway_running, gateway_settings

pytestmark = pytest.mark.e2e


def _gateway_settings(platform: Platform, auth: dict[str, str]) -> GatewaySettings:
    inventory = platform.services["inventory"]
    routes = {"acme.inventory": inventory.port}
    listen = f"127.0.0.1:{free_ports(1)[0]}"
    return gateway_settings(routes, {"mode": "production", **auth}, listen, rate_limit_per_s=0)


def _files(home: Path) -> set[Path]:
    return {path for path in home.rglob("*") if path.is_file()}


def test_a_production_gateway_without_keys_refuses_to_start_and_creates_none(
    platform: Platform, tmp_path: Path
) -> None:
    devkeys.ensure_dev_keys(tmp_path)  # a developer's keys lie around on the host
    before = _files(tmp_path)
    settings = _gateway_settings(platform, {"ACCORD_HOME": str(tmp_path)})
    with pytest.raises(ConfigurationError, match="ACCORD_GATEWAY_JWKS_URL"):
        Gateway(settings, load_image())
    assert _files(tmp_path) == before


async def test_a_production_service_refuses_to_start_without_the_gateway_key(
    platform: Platform, tmp_path: Path
) -> None:
    settings = inventory_app.SERVICE.settings(
        port=0, nats_url=platform.nats_url, home=tmp_path, mode="production"
    )
    with pytest.raises(ConfigurationError, match="ACCORD_IDENTITY_PUBLIC_KEY_FILE"):
        await inventory_app.SERVICE.start(settings)
    assert _files(tmp_path) == set()


@pytest.fixture
async def production_gateway(platform: Platform, tmp_path: Path) -> AsyncIterator[Gateway]:
    """A production gateway in front of the platform's inventory: an issuer of its own (not
    the development key), the principal key the services trust, an API-key file."""
    issuer = ECKey.generate_key("P-256", auto_kid=True)
    jwks = tmp_path / "issuer.jwks.json"
    jwks.write_text(json.dumps({"keys": [issuer.as_dict(private=False, alg="ES256")]}))
    settings = _gateway_settings(
        platform,
        {
            "ACCORD_HOME": str(tmp_path / "nothing-here"),
            "jwks_file": str(jwks),
            "principal_signing_key_file": str(devkeys.principal_key_path(platform.home)),
            "api_keys_file": str(tmp_path / "api_keys.json"),
        },
    )
    async with gateway_running(settings) as gateway:
        yield gateway


async def _stock(gateway: Gateway, metadata: list[tuple[str, str]]) -> tuple[grpc.StatusCode, str]:
    """What the gateway answers a GetStock with these credentials: the code and the reason."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        try:
            await stock_grpc.InventoryServiceStub(channel).GetStock(
                stock.GetStockRequest(sku="TEA-1"), metadata=metadata, timeout=10
            )
        except grpc.aio.AioRpcError as refused:
            return refused.code(), reason_of(refused)
    return grpc.StatusCode.OK, ""


async def test_development_tokens_do_not_pass_and_a_broken_key_file_keeps_no_key(
    platform: Platform, production_gateway: Gateway, tmp_path: Path
) -> None:
    # `accord token` on the host: signed with the development key, which production ignores.
    admin = devkeys.mint_token("mallory", ["inventory:read", "inventory:admin"], home=platform.home)
    code, _ = await _stock(production_gateway, [("authorization", f"Bearer {admin}")])
    assert code == grpc.StatusCode.UNAUTHENTICATED

    keys = tmp_path / "api_keys.json"
    key = devkeys.create_api_key("svc-reader", ["inventory:read"], path=keys)
    assert await _stock(production_gateway, [("x-api-key", key)]) == (grpc.StatusCode.OK, "")

    # The operator revokes every key, and the edit leaves the file unparsable.
    _write(keys, '{"keys": [')
    answer = (grpc.StatusCode.OK, "")
    for _ in range(60):  # the gateway looks at the file again within 2 s
        answer = await _stock(production_gateway, [("x-api-key", key)])
        if answer[0] != grpc.StatusCode.OK:
            break
        await asyncio.sleep(0.1)
    assert answer == (grpc.StatusCode.UNAUTHENTICATED, "UNKNOWN_API_KEY")


def _write(path: Path, text: str) -> None:
    path.write_text(text)
