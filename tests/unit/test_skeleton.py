"""The service skeleton's own rules (accord.skeleton): the order things stop in, and which
API's contract a servicer's access rules come from."""

from typing import Any

import pytest
from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from acme.payments.v1 import payments_pb2, payments_pb2_grpc

from accord.settings import ServiceSettings
from accord.skeleton import Api, Parts

PAYMENTS = Api.named("PaymentService", payments_pb2, payments_pb2_grpc)
ORDERS = (Api.named("OrderService", v1, v1_grpc), Api.named("OrderService", v2, v2_grpc))


class _Connection:
    """Stands in for the NATS connection: these rules never reach the network."""

    def jetstream(self) -> object:
        return object()


class _Events:
    def __init__(self, stopped: list[str]) -> None:
        self._stopped = stopped

    async def stop(self) -> None:
        self._stopped.append("events")


def _parts(apis: tuple[Api, ...], stopped: list[str]) -> Parts[Any, Any]:
    return Parts("test", apis, _Connection(), ServiceSettings(), _Events(stopped))  # type: ignore[arg-type]


def _stop(stopped: list[str], name: str) -> Any:
    async def stop() -> None:
        stopped.append(name)

    return stop


async def test_feeders_stop_before_the_events_and_what_handlers_use_after() -> None:
    stopped: list[str] = []
    parts = _parts((PAYMENTS,), stopped)
    parts.on_stop(_stop(stopped, "client"))
    parts.on_stop(_stop(stopped, "sweep"), before_events=True)
    parts.on_stop(_stop(stopped, "channel"))
    parts.on_stop(_stop(stopped, "authorizer"), before_events=True)
    for stop in reversed(parts.stops()):  # as accord.service runs Wiring.on_stop
        await stop()
    assert stopped == ["sweep", "authorizer", "events", "channel", "client"]


def test_access_comes_from_the_contract_of_the_one_api_or_the_named_one() -> None:
    assert _parts((PAYMENTS,), []).access().admin_scope == "payments:admin"
    orders = _parts(ORDERS, [])
    assert orders.access(ORDERS[1]).admin_scope == "orders:admin"
    with pytest.raises(ValueError, match="serves 2 APIs"):
        orders.access()


def test_an_api_is_named_as_the_gateway_routes_it() -> None:
    assert PAYMENTS.full_name == "acme.payments.v1.PaymentService"
    assert [api.full_name for api in ORDERS] == [
        "acme.orders.v1.OrderService",
        "acme.orders.v2.OrderService",
    ]
    with pytest.raises(KeyError):
        Api.named("NoSuchService", payments_pb2, payments_pb2_grpc)
