"""Orders kept in a JetStream key-value bucket, the service's own state.

Keys:
- `order.<order_id>`: the Order message of the newest API version (acme.orders.v2, protobuf
  bytes); every change is a new revision, which is what WatchOrder follows. Older versions
  are served by translating from it.
- `customer.<customer_id>.<order_id>`: an empty index entry, so that listing a customer's
  orders reads only that customer's keys.
- `request.<customer_id>.<request_id>`: which order a PlaceOrder request created, plus a
  fingerprint of its content, so that a retry returns the same order.
"""

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from acme.orders.v2 import orders_pb2
from google.protobuf import timestamp_pb2
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from accord import kvrecords
from accord.follow import follow
from accord.kv import page_after
from accord.money import to_money, to_nanos
from services.orders.ids import new_order_id

BUCKET = "orders"
FINAL_STATUSES = frozenset({orders_pb2.ORDER_STATUS_SHIPPED, orders_pb2.ORDER_STATUS_CANCELLED})


class OrderNotFound(Exception):
    pass


class RequestConflict(Exception):
    """A request id was reused with different content."""


class InvalidTransition(Exception):
    pass


@dataclass(frozen=True)
class Page:
    orders: list[orders_pb2.Order]
    resume_after: int | None  # the index position the next page starts after; None: the end


async def open_store(js: JetStreamContext) -> "OrderStore":
    # The bucket is declared in asyncapi/orders.yaml and provisioned from there.
    return OrderStore(await js.key_value(BUCKET))


def _fingerprint(request: orders_pb2.PlaceOrderRequest) -> bytes:
    # Deterministic serialization: the same request always hashes the same.
    return hashlib.sha256(request.SerializeToString(deterministic=True)).digest()


@dataclass(frozen=True, slots=True)
class OrderStore:
    kv: KeyValue

    async def claimed(self, request: orders_pb2.PlaceOrderRequest) -> orders_pb2.Order | None:
        """The order this request created before, if it did (RequestConflict when its id was
        used with other content)."""
        request_key = f"request.{request.customer_id}.{request.request_id}"
        try:
            await self.kv.get(request_key)
        except KeyNotFoundError:
            return None
        return await self._order_of_claim(request, request_key)

    async def place(
        self,
        request: orders_pb2.PlaceOrderRequest,
        lines: list[orders_pb2.OrderLine],
        now: timestamp_pb2.Timestamp,
    ) -> tuple[orders_pb2.Order, bool]:
        """Create the order of `lines` (the request's, priced by the catalogue), or return
        the one this request created before (and False)."""
        currency = lines[0].unit_price.currency_code
        total = sum(
            line.quantity * to_nanos(line.unit_price, f"lines[{index}].unit_price")
            for index, line in enumerate(lines)
        )
        order = orders_pb2.Order(
            order_id=new_order_id(),
            customer_id=request.customer_id,
            lines=lines,
            total=to_money(orders_pb2.Money, currency, total, "lines"),
            status=orders_pb2.ORDER_STATUS_PENDING,
            history=[orders_pb2.StatusChange(status=orders_pb2.ORDER_STATUS_PENDING, time=now)],
            create_time=now,
            update_time=now,
        )
        await self.kv.create(f"order.{order.order_id}", order.SerializeToString())
        request_key = f"request.{request.customer_id}.{request.request_id}"
        claim = _fingerprint(request) + order.order_id.encode()
        try:
            await self.kv.create(request_key, claim)
        except KeyWrongLastSequenceError:
            # A retry, or a race with one: the first request to claim the key wins. Its order
            # was written before its claim, so it can be read now.
            await self.kv.purge(f"order.{order.order_id}")
            return await self._order_of_claim(request, request_key), False
        await self.kv.create(f"customer.{order.customer_id}.{order.order_id}", b"")
        return order, True

    async def _order_of_claim(
        self, request: orders_pb2.PlaceOrderRequest, request_key: str
    ) -> orders_pb2.Order:
        claim = (await self.kv.get(request_key)).value or b""
        fingerprint, order_id = claim[:32], claim[32:].decode()
        if fingerprint != _fingerprint(request):
            raise RequestConflict(request.request_id)
        return await self.get(order_id)

    async def get(self, order_id: str) -> orders_pb2.Order:
        return (await self._get_entry(order_id))[0]

    async def _get_entry(self, order_id: str) -> tuple[orders_pb2.Order, int]:
        found = await kvrecords.read(self.kv, f"order.{order_id}")
        if found is None or not found.value:
            raise OrderNotFound(order_id)
        return orders_pb2.Order.FromString(found.value), found.revision

    async def transition(
        self,
        order_id: str,
        status: "orders_pb2.OrderStatus.ValueType",
        now: timestamp_pb2.Timestamp,
        cancellation: orders_pb2.Cancellation | None = None,
    ) -> orders_pb2.Order:
        """Move an order to `status`; concurrent changes are retried on the latest revision."""
        while True:
            order, revision = await self._get_entry(order_id)
            if order.status == status:
                return order  # already there: replays of the same event change nothing
            if order.status in FINAL_STATUSES:
                raise InvalidTransition(
                    f"order {order_id} is {orders_pb2.OrderStatus.Name(order.status)}"
                )
            order.status = status
            if cancellation is not None:
                order.cancellation.CopyFrom(cancellation)
            order.history.append(orders_pb2.StatusChange(status=status, time=now))
            order.update_time.CopyFrom(now)
            try:
                await self.kv.update(f"order.{order_id}", order.SerializeToString(), revision)
            except KeyWrongLastSequenceError:
                continue
            return order

    async def list_for_customer(self, customer_id: str, page_size: int, after: int) -> Page:
        """A page of the customer's orders, oldest first: read from the customer's index,
        whose entries are written once, in the order the orders were placed."""
        index = await page_after(self.kv, f"customer.{customer_id}.*", after, page_size)
        orders = [await self.get(entry.key.rsplit(".", 1)[1]) for entry in index.entries]
        return Page(orders, index.resume_after)

    async def watch(self, order_id: str) -> AsyncIterator[orders_pb2.Order]:
        """The order now, then after every change, until it reaches a final status. Reads
        each revision from the bucket's stream (history 16); creates no consumer."""
        order, revision = await self._get_entry(order_id)  # OrderNotFound before anything
        yield order
        if order.status in FINAL_STATUSES:
            return
        key = f"order.{order_id}"
        async for msg in follow(self.kv._js, self.kv._stream, self.kv._pre + key, revision):
            if msg.headers.get("KV-Operation") in ("DEL", "PURGE") or not msg.data:
                return
            order = orders_pb2.Order.FromString(msg.data)
            yield order
            if order.status in FINAL_STATUSES:
                return
