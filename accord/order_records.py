"""Records a service keeps one per order, under the order's id: payments' payment, shipping's
shipment.

Each is a protobuf message that names its order (`order_id`) and the order's customer
(`customer_id`), stored as `<kind>.<orderId>` in the service's bucket (accord.kvrecords:
created once, the first writer wins; changed by compare-and-set). A caller asks for one by
the order's id, which the gateway cannot tie to an owner: `for_caller` checks it against
the principal the gateway signed, and someone else's record gets the same NOT_FOUND as a
missing one (accord.access.none_for_order), unless the caller holds the API's admin scope.
"""

from typing import Protocol, Self, TypeVar, cast

from google.protobuf.message import Message
from nats.js import JetStreamContext
from nats.js.kv import KeyValue

from accord.access import Access, Context, none_for_order
from accord.kvrecords import ProtoRecords
from accord.validation import check, id_violations

M = TypeVar("M", bound=Message)


class _OfAnOrder(Protocol):
    @property
    def order_id(self) -> str: ...

    @property
    def customer_id(self) -> str: ...


def _of_an_order(record: Message) -> _OfAnOrder:
    # Typing cannot say "a protobuf message with these two fields", which every record kept
    # here has; the cast only names them.
    return cast(_OfAnOrder, record)


class OrderRecords(ProtoRecords[M]):
    """The `kind` records (messages of type `message`) kept in `kv`, one per order."""

    def __init__(self, kv: KeyValue, kind: str, message: type[M]) -> None:
        super().__init__(kv, kind, message, lambda record: _of_an_order(record).order_id)
        self.kind = kind

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
            raise none_for_order(self.kind, order_id)
        return stored.value
