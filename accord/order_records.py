"""Records a service keeps one per order, under the order's id: payments' payment, shipping's
shipment.

Each is a protobuf message that names its order (`order_id`) and the order's customer
(`customer_id`), stored as `<kind>.<orderId>` in the service's bucket (accord.kvrecords:
created once, the first writer wins; changed by compare-and-set). A caller asks for one by
the order's id, which the gateway cannot tie to an owner: `for_caller` checks it against
the principal the gateway signed, and someone else's record gets the same NOT_FOUND as a
missing one (accord.access.none_for_order), unless the caller holds the API's admin scope.

Events about one order arrive on independent consumers, so its cancellation may come before
the event that makes the record: `on_cancelled` then leaves a placeholder record behind, and
the late event finds it (`get_or_create`) and does nothing.
"""

from collections.abc import Callable
from typing import Protocol, Self, TypeVar, cast

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from accord.access import Access, Context, none_for_order
from accord.kvrecords import MAX_ATTEMPTS, ProtoRecords
from accord.timestamps import timestamp_now
from accord.validation import check, id_violations

M = TypeVar("M", bound=Message)


class _OfAnOrder(Protocol):
    order_id: str
    customer_id: str

    @property
    def create_time(self) -> Timestamp: ...

    @property
    def update_time(self) -> Timestamp: ...


def _of_an_order(record: Message) -> _OfAnOrder:
    # Typing cannot say "a protobuf message with these fields", which every record kept here
    # has; the cast only names them.
    return cast(_OfAnOrder, record)


class OrderRecords(ProtoRecords[M]):
    """The `kind` records (messages of type `message`) kept in `kv`, one per order."""

    def __init__(self, kv: KeyValue, kind: str, message: type[M]) -> None:
        super().__init__(kv, kind, message, lambda record: _of_an_order(record).order_id)

    @classmethod
    async def open(cls, js: JetStreamContext, bucket: str, kind: str, message: type[M]) -> Self:
        return cls(await js.key_value(bucket), kind, message)

    async def for_caller(self, access: Access, context: Context, order_id: str) -> M:
        """The order's record, if the caller may see it: UNAUTHENTICATED without a caller,
        INVALID_ARGUMENT for a malformed order id, NOT_FOUND for a missing record and for
        someone else's."""
        caller = access.caller(context)
        check(id_violations("order_id", order_id))
        stored = await self.get(order_id)
        if stored is None or not access.may_see(caller, _of_an_order(stored.value).customer_id):
            raise none_for_order(self.prefix, order_id)
        return stored.value

    async def on_cancelled(
        self, order_id: str, customer_id: str, placeholder: M, cancel: Callable[[M], bool]
    ) -> M | None:
        """Apply the order's cancellation to its record: `cancel` changes it (False: it has
        nothing to change), written by compare-and-set and decided again on the record a
        concurrent writer left; the record as it now stands. When the order has no record
        yet, `placeholder` (its own id and final status) is stored in its place, made now
        for the order and its customer, and None returned."""
        for _ in range(MAX_ATTEMPTS):
            stored = await self.get(order_id)
            if stored is None:
                made = _of_an_order(placeholder)
                made.order_id, made.customer_id = order_id, customer_id
                made.create_time.CopyFrom(timestamp_now())
                made.update_time.CopyFrom(made.create_time)
                if await self.create(placeholder):
                    return None
                continue
            record = stored.value
            if not cancel(record) or await self.replace(record, stored.revision):
                return record
        raise RuntimeError(f"{self.prefix}.{order_id}: the cancellation could not be written")
