"""Payments in the `payments` key-value bucket (declared in asyncapi/payments.yaml).

Key `payment.<order_id>`: the acme.payments.v1.Payment of that order (protobuf bytes). A
payment is created once per order (`create`: the first writer wins), and changed only by a
compare-and-set on the revision that was read, so concurrent handlers cannot both refund.
"""

from acme.payments.v1 import payments_pb2 as pb
from nats.js import JetStreamContext

from accord.kvrecords import ProtoRecords

BUCKET = "payments"


class PaymentStore(ProtoRecords[pb.Payment]):
    @classmethod
    async def open(cls, js: JetStreamContext) -> "PaymentStore":
        kv = await js.key_value(BUCKET)
        return cls(kv, "payment", pb.Payment, lambda payment: payment.order_id)
