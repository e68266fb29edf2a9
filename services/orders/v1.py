"""acme.orders.v1.OrderService (deprecated): v1 requests translated to v2 and back.

v1 knows whole cents of US dollars, four statuses and a free-text cancel reason: a reserved
order reads as paid, and a watcher sees each v1 status once.
"""

from collections.abc import AsyncIterator

from acme.orders.v1 import orders_pb2 as v1
from acme.orders.v1 import orders_pb2_grpc as v1_grpc
from acme.orders.v2 import orders_pb2 as v2

from accord import money
from accord.access import Context
from accord.validation import check, id_violations
from services.orders.operations import OverOperations
from services.orders.validation import (
    cancel_order_violations,
    place_order_v1_violations,
)

V1_CURRENCY = "USD"  # version 1 had one currency and never said which

_STATUS_IN_V1 = {
    v2.ORDER_STATUS_PENDING: v1.ORDER_STATUS_PENDING,
    v2.ORDER_STATUS_PAID: v1.ORDER_STATUS_PAID,
    v2.ORDER_STATUS_RESERVED: v1.ORDER_STATUS_PAID,
    v2.ORDER_STATUS_SHIPPED: v1.ORDER_STATUS_SHIPPED,
    v2.ORDER_STATUS_CANCELLED: v1.ORDER_STATUS_CANCELLED,
}


def _cents(amount: v2.Money) -> int:
    # Sub-cent amounts cannot be said in v1; they round toward zero to the cent.
    return money.to_cents(money.to_nanos(amount, "unit_price"))


def _from_cents(cents: int) -> v2.Money:
    return money.to_money(v2.Money, V1_CURRENCY, money.from_cents(cents), "unit_price_cents")


def to_v1(order: v2.Order) -> v1.Order:
    reason = order.cancellation.detail or (
        v2.CancellationReason.Name(order.cancellation.reason)
        .removeprefix("CANCELLATION_REASON_")
        .replace("_", " ")
        .lower()
        if order.cancellation.reason
        else ""
    )
    return v1.Order(
        order_id=order.order_id,
        customer_id=order.customer_id,
        lines=[
            v1.OrderLine(
                sku=line.sku, quantity=line.quantity, unit_price_cents=_cents(line.unit_price)
            )
            for line in order.lines
        ],
        total_cents=_cents(order.total),
        status=_STATUS_IN_V1.get(order.status, v1.ORDER_STATUS_UNSPECIFIED),
        cancel_reason=reason,
        create_time=order.create_time,
        update_time=order.update_time,
    )


def to_v2(request: v1.PlaceOrderRequest) -> v2.PlaceOrderRequest:
    # v1 cannot leave a price out: 0 cents, its default, asks for the catalogue's price.
    return v2.PlaceOrderRequest(
        request_id=request.request_id,
        customer_id=request.customer_id,
        lines=[
            v2.OrderLine(
                sku=line.sku,
                quantity=line.quantity,
                unit_price=_from_cents(line.unit_price_cents) if line.unit_price_cents else None,
            )
            for line in request.lines
        ],
        payment_token=request.payment_token,
    )


class OrderServiceV1(OverOperations, v1_grpc.OrderServiceServicer):
    async def PlaceOrder(
        self, request: v1.PlaceOrderRequest, context: Context
    ) -> v1.PlaceOrderResponse:
        check(place_order_v1_violations(request))
        order = await self.operations.place(to_v2(request), currency=V1_CURRENCY)
        return v1.PlaceOrderResponse(order=to_v1(order))

    async def GetOrder(self, request: v1.GetOrderRequest, context: Context) -> v1.GetOrderResponse:
        check(id_violations("order_id", request.order_id))
        return v1.GetOrderResponse(
            order=to_v1(await self.operations.get(request.order_id, self.access.caller(context)))
        )

    async def ListOrders(
        self, request: v1.ListOrdersRequest, context: Context
    ) -> v1.ListOrdersResponse:
        page, token = await self.operations.list(
            request.customer_id, request.page_size, request.page_token
        )
        return v1.ListOrdersResponse(
            orders=[to_v1(order) for order in page.orders], next_page_token=token
        )

    async def CancelOrder(
        self, request: v1.CancelOrderRequest, context: Context
    ) -> v1.CancelOrderResponse:
        check(cancel_order_violations(request.order_id, "reason", request.reason))
        cancellation = v2.Cancellation(
            reason=v2.CANCELLATION_REASON_CUSTOMER_REQUEST,
            detail=request.reason or "cancelled by the customer",
        )
        order = await self.operations.cancel(
            request.order_id, cancellation, self.access.caller(context)
        )
        return v1.CancelOrderResponse(order=to_v1(order))

    async def WatchOrder(
        self, request: v1.WatchOrderRequest, context: Context
    ) -> AsyncIterator[v1.WatchOrderResponse]:
        check(id_violations("order_id", request.order_id))
        last_status = None
        async for order in self.operations.watch(request.order_id, self.access.caller(context)):
            translated = to_v1(order)
            if translated.status != last_status:  # paid → reserved is no change in v1
                last_status = translated.status
                yield v1.WatchOrderResponse(order=translated)
