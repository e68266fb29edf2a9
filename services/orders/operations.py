"""What the orders service does, in the newest API version's terms (acme.orders.v2).

Each API version's servicer validates its own request shape, translates to these calls and
translates the answer back; errors are RpcErrors with details, the same in every version.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import grpc
from acme.orders.v2 import orders_pb2 as v2

from accord.access import Access
from accord.budget import CallerBudget
from accord.identity import Principal
from accord.paging import after_sequence, page_size_or_default, sequence_token
from accord.rpc_status import RpcError, error_info, request_reused
from accord.timestamps import timestamp_now
from accord.validation import check
from services.orders.catalogue import Catalogue, priced_lines
from services.orders.events import OrderEvents
from services.orders.store import (
    InvalidTransition,
    OrderNotFound,
    OrderStore,
    Page,
    RequestConflict,
)
from services.orders.validation import list_orders_violations


def not_found(order_id: str) -> RpcError:
    return RpcError(
        grpc.StatusCode.NOT_FOUND,
        f"order {order_id} not found",
        error_info("ORDER_NOT_FOUND", order_id=order_id),
    )


@dataclass(frozen=True, slots=True)
class OrderOperations:
    store: OrderStore
    events: OrderEvents
    catalogue: Catalogue
    # Who reaches an order fetched by id: its customer, or the contract's admin scope.
    access: Access
    # Each open WatchOrder holds a subscription on NATS: a budget per caller.
    watches: CallerBudget = field(
        default_factory=lambda: CallerBudget("WatchOrder calls"), init=False
    )

    async def place(self, request: v2.PlaceOrderRequest, currency: str | None = None) -> v2.Order:
        """Place the order at the catalogue's prices (in `currency`, when the API version
        knows only one), or return the one this request placed before."""
        try:
            # A retry returns the first order as it was priced, whatever the catalogue says now.
            order = await self.store.claimed(request)
            if order is None:
                lines = await priced_lines(self.catalogue, request, currency)
                order, _created = await self.store.place(request, lines, timestamp_now())
        except RequestConflict as conflict:
            raise request_reused(request.request_id, "for another order") from conflict
        # Also on a retry: it repairs a publish that failed after the first write.
        await self.events.placed(order, payment_token=request.payment_token)
        return order

    async def get(self, order_id: str, caller: Principal) -> v2.Order:
        try:
            order = await self.store.get(order_id)
        except OrderNotFound as missing:
            raise not_found(order_id) from missing
        if not self.access.may_see(caller, order.customer_id):
            raise not_found(order_id)
        return order

    async def list(self, customer_id: str, page_size: int, page_token: str) -> tuple[Page, str]:
        """A page of the customer's orders and the token of the next; the same for every API
        version (their requests carry the same three fields)."""
        check(list_orders_violations(customer_id, page_size))
        page = await self.store.list_for_customer(
            customer_id, page_size_or_default(page_size), after_sequence(page_token)
        )
        return page, sequence_token(page.resume_after)

    async def cancel(
        self, order_id: str, cancellation: v2.Cancellation, caller: Principal
    ) -> v2.Order:
        await self.get(order_id, caller)
        try:
            order = await self.store.transition(
                order_id, v2.ORDER_STATUS_CANCELLED, timestamp_now(), cancellation
            )
        except InvalidTransition as final:
            raise RpcError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"cannot cancel: {final}",
                error_info("ORDER_FINAL", order_id=order_id),
            ) from final
        await self.events.status_changed(order)
        return order

    async def watch(self, order_id: str, caller: Principal) -> AsyncIterator[v2.Order]:
        await self.get(order_id, caller)
        with self.watches.hold(caller.subject):
            try:
                async for order in self.store.watch(order_id):
                    yield order
            except OrderNotFound as missing:
                raise not_found(order_id) from missing


@dataclass(frozen=True, slots=True)
class OverOperations:
    """What each API version's servicer serves over: the one set of operations, and the
    version's own access rules (its contract's)."""

    operations: OrderOperations
    access: Access
