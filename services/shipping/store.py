"""Shipments in the `shipments` key-value bucket (declared in asyncapi/shipping.yaml).

Key `shipment.<order_id>`: the acme.shipping.v1.Shipment of that order (protobuf bytes),
created once per order (`create`: the first writer wins), changed by compare-and-set.
"""

from dataclasses import dataclass

from acme.shipping.v1 import shipping_pb2 as pb
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

BUCKET = "shipments"


@dataclass(frozen=True)
class Stored:
    shipment: pb.Shipment
    revision: int


class ShipmentStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext) -> "ShipmentStore":
        return cls(await js.key_value(BUCKET))

    async def get(self, order_id: str) -> Stored | None:
        try:
            entry = await self._kv.get(f"shipment.{order_id}")
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        return Stored(pb.Shipment.FromString(entry.value), entry.revision or 0)

    async def create(self, shipment: pb.Shipment) -> bool:
        try:
            await self._kv.create(f"shipment.{shipment.order_id}", shipment.SerializeToString())
        except KeyWrongLastSequenceError:
            return False
        return True

    async def replace(self, shipment: pb.Shipment, revision: int) -> bool:
        try:
            await self._kv.update(
                f"shipment.{shipment.order_id}", shipment.SerializeToString(), last=revision
            )
        except KeyWrongLastSequenceError:
            return False
        return True
