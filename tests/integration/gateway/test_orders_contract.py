"""The edge over the real contracts image (gen/python/contracts.binpb): orders v1 and v2 routed
to one backend, which checks PlaceOrder's owner with the platform's enforcement interceptor
as every service does, and v1's deprecation headers.

The backend is a canned OrderService v1 here; the real service is exercised end to end."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from acme.orders.v1 import orders_pb2, orders_pb2_grpc
from google.rpc.error_details_pb2 import ErrorInfo
from grpc_health.v1 import health, health_pb2_grpc

from accord.auth import AuthSettings
from accord.descriptors import load_image
from accord.enforcement import ContractEnforcement
from accord.identity import PRINCIPAL_HEADER
from accord.tooling import devkeys
from gateway.server import Gateway
from tests.integration.gateway.conftest import StartGateway, token
from tests.support.status import detail

pytestmark = pytest.mark.integration


class CannedOrders(orders_pb2_grpc.OrderServiceServicer):
    """PlaceOrder only: the other methods are not called here."""

    def __init__(self) -> None:
        self.metadata: list[dict[str, Any]] = []

    async def PlaceOrder(
        self, request: orders_pb2.PlaceOrderRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> orders_pb2.PlaceOrderResponse:
        self.metadata.append(dict(context.invocation_metadata() or ()))
        order = orders_pb2.Order(order_id="o-1", customer_id=request.customer_id)
        return orders_pb2.PlaceOrderResponse(order=order)


@pytest.fixture
async def orders_backend(auth_home: Path) -> AsyncIterator[tuple[str, CannedOrders]]:
    enforcement = ContractEnforcement.for_services(
        ["acme.orders.v1.OrderService"],
        AuthSettings.model_validate({"ACCORD_HOME": str(auth_home)}),
        devkeys.principal_public_key_path(auth_home),
    )
    server = grpc.aio.server(interceptors=[enforcement])
    servicer = CannedOrders()  # type: ignore[abstract]
    orders_pb2_grpc.add_OrderServiceServicer_to_server(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(health.aio.HealthServicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield f"127.0.0.1:{port}", servicer
    finally:
        await server.stop(0)


@pytest.fixture
async def orders_gateway(
    start_gateway: StartGateway, orders_backend: tuple[str, CannedOrders], repo_root: Path
) -> Gateway:
    image = load_image(repo_root / "gen/python/contracts.binpb")
    return await start_gateway({"acme.orders": [orders_backend[0]]}, image=image)


def _place(channel: grpc.aio.Channel) -> Any:
    return orders_pb2_grpc.OrderServiceStub(channel).PlaceOrder


def _order(customer: str) -> orders_pb2.PlaceOrderRequest:
    line = orders_pb2.OrderLine(sku="sku-1", quantity=1, unit_price_cents=100)
    return orders_pb2.PlaceOrderRequest(request_id="r-1", customer_id=customer, lines=[line])


async def test_an_owner_places_an_order_and_the_backend_gets_the_verified_token(
    orders_gateway: Gateway, orders_backend: tuple[str, CannedOrders], auth_home: Path
) -> None:
    bearer = ("authorization", f"Bearer {token(auth_home, 'alice', 'orders:write')}")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{orders_gateway.port}") as channel:
        call = _place(channel)(_order("alice"), metadata=[bearer])
        assert (await call).order.customer_id == "alice"
        headers = dict(await call.initial_metadata())
    assert headers["link"].startswith('<acme.orders.v2.OrderService>; rel="successor-version"')
    assert headers["deprecation"].startswith("@")
    seen = orders_backend[1].metadata[-1]
    assert seen["authorization"] == bearer[1]  # the service verified it itself
    assert PRINCIPAL_HEADER not in seen


async def test_someone_elses_order_is_refused_before_the_servicer(
    orders_gateway: Gateway, orders_backend: tuple[str, CannedOrders], auth_home: Path
) -> None:
    bearer = ("authorization", f"Bearer {token(auth_home, 'alice', 'orders:write')}")
    async with grpc.aio.insecure_channel(f"127.0.0.1:{orders_gateway.port}") as channel:
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await _place(channel)(_order("bob"), metadata=[bearer])
        with pytest.raises(grpc.aio.AioRpcError) as anonymous:
            await _place(channel)(_order("alice"))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert detail(raised.value, ErrorInfo).reason == "NOT_OWNER"
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert orders_backend[1].metadata == []


async def test_an_unknown_orders_version_names_v1_and_v2(orders_gateway: Gateway) -> None:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{orders_gateway.port}") as channel:
        unknown: Any = channel.unary_unary("/acme.orders.v3.OrderService/PlaceOrder")
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await unknown(b"")
    error = raised.value
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    available = "available: acme.orders.v1.OrderService, acme.orders.v2.OrderService"
    assert available in (error.details() or "")
