"""Payments in the `payments` key-value bucket (declared in asyncapi/payments.yaml).

Key `payment.<order_id>`: the acme.payments.v1.Payment of that order (protobuf bytes). A
payment is created once per order (`create`: the first writer wins), and changed only by a
compare-and-set on the revision that was read, so concurrent handlers cannot both refund.
"""

from dataclasses import dataclass

from acme.payments.v1 import payments_pb2 as pb
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

BUCKET = "payments"


@dataclass(frozen=True)
class Stored:
    payment: pb.Payment
    revision: int


class PaymentStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext) -> "PaymentStore":
        return cls(await js.key_value(BUCKET))

    async def get(self, order_id: str) -> Stored | None:
        try:
            entry = await self._kv.get(f"payment.{order_id}")
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        return Stored(pb.Payment.FromString(entry.value), entry.revision or 0)

    async def create(self, payment: pb.Payment) -> bool:
        """Store the order's first payment; False when the order has one already."""
        try:
            await self._kv.create(f"payment.{payment.order_id}", payment.SerializeToString())
        except KeyWrongLastSequenceError:
            return False
        return True

    async def replace(self, payment: pb.Payment, revision: int) -> bool:
        """Store a change read at `revision`; False when someone changed it meanwhile."""
        try:
            await self._kv.update(
                f"payment.{payment.order_id}", payment.SerializeToString(), last=revision
            )
        except KeyWrongLastSequenceError:
            return False
        return True
