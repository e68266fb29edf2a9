"""Shipments in the `shipments` key-value bucket (declared in asyncapi/shipping.yaml).

Key `shipment.<order_id>`: the acme.shipping.v1.Shipment of that order (protobuf bytes),
created once per order (`create`: the first writer wins), changed by compare-and-set.
"""

from acme.shipping.v1 import shipping_pb2 as pb
from nats.js import JetStreamContext

from accord.kvrecords import ProtoRecords

BUCKET = "shipments"


class ShipmentStore(ProtoRecords[pb.Shipment]):
    @classmethod
    async def open(cls, js: JetStreamContext) -> "ShipmentStore":
        kv = await js.key_value(BUCKET)
        return cls(kv, "shipment", pb.Shipment, lambda shipment: shipment.order_id)
