"""acme.orders.v1.OrderService over the order store: where an orders call is served."""

import base64
import binascii
from collections.abc import AsyncIterator

import grpc
from acme.orders.v1 import orders_pb2, orders_pb2_grpc
from google.protobuf import timestamp_pb2

from accord.rpc_status import RpcError, abort, error_info, field_violation, invalid_argument
from services.orders.store import (
    InvalidTransition,
    OrderNotFound,
    OrderStore,
    RequestConflict,
)
from services.orders.validation import (
    Violations,
    cancel_order_violations,
    id_violations,
    list_orders_violations,
    place_order_violations,
)

Context = grpc.aio.ServicerContext[object, object]
DEFAULT_PAGE_SIZE = 20


def _now() -> timestamp_pb2.Timestamp:
    now = timestamp_pb2.Timestamp()
    now.GetCurrentTime()
    return now


def _not_found(order_id: str) -> RpcError:
    return RpcError(
        grpc.StatusCode.NOT_FOUND,
        f"order {order_id} not found",
        error_info("ORDER_NOT_FOUND", order_id=order_id),
    )


def _page_token(order_id: str) -> str:
    return base64.urlsafe_b64encode(order_id.encode()).decode()


def _after_of(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode() if token else ""
    except (binascii.Error, UnicodeDecodeError) as bad:
        raise invalid_argument([field_violation("page_token", "is not a token we issued")]) from bad


class OrderServiceV1(orders_pb2_grpc.OrderServiceServicer):
    def __init__(self, store: OrderStore) -> None:
        self._store = store

    async def PlaceOrder(
        self, request: orders_pb2.PlaceOrderRequest, context: Context
    ) -> orders_pb2.PlaceOrderResponse:
        await _reject(context, place_order_violations(request))
        try:
            order, _created = await self._store.place(request, _now())
        except RequestConflict:
            await abort(
                context,
                RpcError(
                    grpc.StatusCode.ALREADY_EXISTS,
                    f"request_id {request.request_id} was already used for another order",
                    error_info("REQUEST_ID_REUSED", request_id=request.request_id),
                ),
            )
        return orders_pb2.PlaceOrderResponse(order=order)

    async def GetOrder(
        self, request: orders_pb2.GetOrderRequest, context: Context
    ) -> orders_pb2.GetOrderResponse:
        await _reject(context, id_violations("order_id", request.order_id))
        return orders_pb2.GetOrderResponse(order=await self._get(request.order_id, context))

    async def ListOrders(
        self, request: orders_pb2.ListOrdersRequest, context: Context
    ) -> orders_pb2.ListOrdersResponse:
        await _reject(context, list_orders_violations(request))
        try:
            after = _after_of(request.page_token)
        except RpcError as bad_token:
            await abort(context, bad_token)
        page = await self._store.list_for_customer(
            request.customer_id, request.page_size or DEFAULT_PAGE_SIZE, after
        )
        token = _page_token(page.last_order_id) if page.last_order_id else ""
        return orders_pb2.ListOrdersResponse(orders=page.orders, next_page_token=token)

    async def CancelOrder(
        self, request: orders_pb2.CancelOrderRequest, context: Context
    ) -> orders_pb2.CancelOrderResponse:
        await _reject(context, cancel_order_violations(request))
        await self._get(request.order_id, context)
        reason = request.reason or "cancelled by the customer"
        try:
            order = await self._store.transition(
                request.order_id, orders_pb2.ORDER_STATUS_CANCELLED, _now(), reason
            )
        except InvalidTransition as final:
            await abort(
                context,
                RpcError(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    f"cannot cancel: {final}",
                    error_info("ORDER_FINAL", order_id=request.order_id),
                ),
            )
        return orders_pb2.CancelOrderResponse(order=order)

    async def WatchOrder(
        self, request: orders_pb2.WatchOrderRequest, context: Context
    ) -> AsyncIterator[orders_pb2.WatchOrderResponse]:
        await _reject(context, id_violations("order_id", request.order_id))
        await self._get(request.order_id, context)
        try:
            async for order in self._store.watch(request.order_id):
                yield orders_pb2.WatchOrderResponse(order=order)
        except OrderNotFound:
            await abort(context, _not_found(request.order_id))

    async def _get(self, order_id: str, context: Context) -> orders_pb2.Order:
        try:
            return await self._store.get(order_id)
        except OrderNotFound:
            await abort(context, _not_found(order_id))


async def _reject(context: Context, violations: Violations) -> None:
    if violations:
        await abort(context, invalid_argument(violations))
