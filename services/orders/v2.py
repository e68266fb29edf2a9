"""acme.orders.v2.OrderService: where a v2 orders call is served."""

from collections.abc import AsyncIterator

from acme.orders.v2 import orders_pb2 as v2
from acme.orders.v2 import orders_pb2_grpc as v2_grpc

from accord.access import Context
from accord.validation import check, id_violations
from services.orders.operations import OverOperations
from services.orders.validation import (
    cancel_order_violations,
    place_order_v2_violations,
)


class OrderServiceV2(OverOperations, v2_grpc.OrderServiceServicer):
    async def PlaceOrder(
        self, request: v2.PlaceOrderRequest, context: Context
    ) -> v2.PlaceOrderResponse:
        check(place_order_v2_violations(request))
        return v2.PlaceOrderResponse(order=await self.operations.place(request))

    async def GetOrder(self, request: v2.GetOrderRequest, context: Context) -> v2.GetOrderResponse:
        check(id_violations("order_id", request.order_id))
        return v2.GetOrderResponse(
            order=await self.operations.get(request.order_id, self.access.caller(context))
        )

    async def ListOrders(
        self, request: v2.ListOrdersRequest, context: Context
    ) -> v2.ListOrdersResponse:
        page, token = await self.operations.list(
            request.customer_id, request.page_size, request.page_token
        )
        return v2.ListOrdersResponse(orders=page.orders, next_page_token=token)

    async def CancelOrder(
        self, request: v2.CancelOrderRequest, context: Context
    ) -> v2.CancelOrderResponse:
        check(cancel_order_violations(request.order_id, "detail", request.detail))
        cancellation = v2.Cancellation(
            reason=v2.CANCELLATION_REASON_CUSTOMER_REQUEST, detail=request.detail
        )
        return v2.CancelOrderResponse(
            order=await self.operations.cancel(
                request.order_id, cancellation, self.access.caller(context)
            )
        )

    async def WatchOrder(
        self, request: v2.WatchOrderRequest, context: Context
    ) -> AsyncIterator[v2.WatchOrderResponse]:
        check(id_violations("order_id", request.order_id))
        async for order in self.operations.watch(request.order_id, self.access.caller(context)):
            yield v2.WatchOrderResponse(order=order)
