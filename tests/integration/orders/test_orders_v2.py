"""acme.orders.v2 beside v1, on the same service and the same orders."""

from __future__ import annotations

import grpc
import pytest
from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc
from google.rpc import error_details_pb2

from accord.rpc_status import details_of

pytestmark = pytest.mark.integration


def _line(sku: str, quantity: int, units: int, nanos: int, currency: str = "EUR") -> v2.OrderLine:
    price = v2.Money(currency_code=currency, units=units, nanos=nanos)
    return v2.OrderLine(sku=sku, quantity=quantity, unit_price=price)


def _placing(customer: str, *lines: v2.OrderLine) -> v2.PlaceOrderRequest:
    return v2.PlaceOrderRequest(request_id="r", customer_id=customer, lines=lines)


def _bad_fields(error: grpc.aio.AioRpcError) -> list[str]:
    """The fields a BadRequest, the first detail of the error, names."""
    bad_request = error_details_pb2.BadRequest()
    assert details_of(error)[0].Unpack(bad_request)
    return [v.field for v in bad_request.field_violations]


async def test_orders_are_priced_from_the_catalogue_in_units_and_nanos(
    orders_v2: v2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    # The seeded catalogue: TEA-1 at USD 4.50, MUG-2 at USD 12.00. A price the customer
    # gives is accepted when it is the catalogue's.
    request = _placing(
        f"c-{unique}", v2.OrderLine(sku="TEA-1", quantity=3), _line("MUG-2", 1, 12, 0, "USD")
    )
    order = (await orders_v2.PlaceOrder(request)).order
    assert order.total == v2.Money(currency_code="USD", units=25, nanos=500_000_000)
    assert [line.unit_price for line in order.lines] == [
        v2.Money(currency_code="USD", units=4, nanos=500_000_000),
        v2.Money(currency_code="USD", units=12),
    ]
    assert [change.status for change in order.history] == [v2.ORDER_STATUS_PENDING]


async def test_a_price_that_is_not_the_catalogues_is_refused_naming_the_right_one(
    orders_v2: v2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    request = _placing(
        f"c-{unique}", _line("TEA-1", 50, 0, 0, "USD"), _line("MUG-2", 1, 12, 0, "USD")
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await orders_v2.PlaceOrder(request)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    failure = error_details_pb2.PreconditionFailure()
    assert any(detail.Unpack(failure) for detail in details_of(refused.value))
    assert [(v.type, v.subject, v.description) for v in failure.violations] == [
        ("PRICE", "lines[0].unit_price", "the catalogue's price of TEA-1 is USD 4.50")
    ]


async def test_a_product_the_catalogue_does_not_sell_is_invalid(
    orders: v1_grpc.OrderServiceAsyncStub,
    orders_v2: v2_grpc.OrderServiceAsyncStub,
    unique: str,
) -> None:
    request = _placing(
        f"c-{unique}", v2.OrderLine(sku="TEA-1", quantity=1), v2.OrderLine(sku="NOPE", quantity=1)
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await orders_v2.PlaceOrder(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _bad_fields(refused.value) == ["lines[1].sku"]
    with pytest.raises(grpc.aio.AioRpcError) as in_v1:
        await orders.PlaceOrder(
            v1.PlaceOrderRequest(
                request_id="r",
                customer_id=f"c-{unique}",
                lines=[v1.OrderLine(sku="NOPE", quantity=1, unit_price_cents=0)],
            )
        )
    assert in_v1.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_both_versions_see_the_same_order(
    orders: v1_grpc.OrderServiceAsyncStub,
    orders_v2: v2_grpc.OrderServiceAsyncStub,
    unique: str,
) -> None:
    placed = await orders.PlaceOrder(
        v1.PlaceOrderRequest(
            request_id="r",
            customer_id=f"c-{unique}",
            lines=[v1.OrderLine(sku="TEA-1", quantity=2, unit_price_cents=0)],
        )
    )
    assert placed.order.lines[0].unit_price_cents == 450  # the catalogue's
    seen = (await orders_v2.GetOrder(v2.GetOrderRequest(order_id=placed.order.order_id))).order
    assert seen.total == v2.Money(currency_code="USD", units=9)
    cancelled = await orders_v2.CancelOrder(
        v2.CancelOrderRequest(order_id=seen.order_id, detail="too slow")
    )
    assert cancelled.order.cancellation.reason == v2.CANCELLATION_REASON_CUSTOMER_REQUEST
    in_v1 = (await orders.GetOrder(v1.GetOrderRequest(order_id=seen.order_id))).order
    assert in_v1.status == v1.ORDER_STATUS_CANCELLED
    assert in_v1.cancel_reason == "too slow"


async def test_mixed_or_malformed_currencies_are_invalid(
    orders_v2: v2_grpc.OrderServiceAsyncStub, unique: str
) -> None:
    request = _placing(
        f"c-{unique}", _line("A", 1, 1, 0, "EUR"), _line("B", 1, 1, 0, "usd"), _line("C", 1, -1, 0)
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await orders_v2.PlaceOrder(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _bad_fields(refused.value) == [
        "lines[1].unit_price.currency_code",
        "lines[2].unit_price",
    ]
