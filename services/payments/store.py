"""Payments in the `payments` key-value bucket (declared in asyncapi/payments.yaml).

Key `payment.<order_id>`: the acme.payments.v1.Payment of that order (protobuf bytes). A
payment is created once per order (`create`: the first writer wins), and changed only by a
compare-and-set on the revision that was read, so concurrent handlers cannot both refund.
"""

from acme.payments.v1 import payments_pb2 as pb
from nats.js import JetStreamContext

from accord.order_records import OrderRecords

BUCKET = "payments"

PaymentStore = OrderRecords[pb.Payment]


async def open_store(js: JetStreamContext) -> PaymentStore:
    return await OrderRecords.open(js, BUCKET, "payment", pb.Payment)
