"""Shipments in the `shipments` key-value bucket (declared in asyncapi/shipping.yaml).

Key `shipment.<order_id>`: the acme.shipping.v1.Shipment of that order (protobuf bytes),
created once per order (`create`: the first writer wins), changed by compare-and-set.
"""

from acme.shipping.v1 import shipping_pb2 as pb
from nats.js import JetStreamContext

from accord.order_records import OrderRecords

BUCKET = "shipments"

ShipmentStore = OrderRecords[pb.Shipment]


async def open_store(js: JetStreamContext) -> ShipmentStore:
    return await OrderRecords.open(js, BUCKET, "shipment", pb.Shipment)
