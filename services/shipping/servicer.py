"""acme.shipping.v1.ShippingService: where a shipping call is served.

A shipment is fetched by order id, so the gateway cannot check its owner: the store's
`for_caller` does (accord.order_records). Someone else's shipment gets the same NOT_FOUND as
a missing one, unless the caller holds shipping:admin.
"""

from dataclasses import dataclass

from acme.shipping.v1 import shipping_pb2 as pb
from acme.shipping.v1 import shipping_pb2_grpc as pb_grpc

from accord.access import Access, Context, none_for_order
from services.shipping.store import ShipmentStore


@dataclass(frozen=True, slots=True)
class ShippingServiceV1(pb_grpc.ShippingServiceServicer):
    store: ShipmentStore
    access: Access

    async def GetShipment(
        self, request: pb.GetShipmentRequest, context: Context
    ) -> pb.GetShipmentResponse:
        shipment = await self.store.for_caller(self.access, context, request.order_id)
        # An order cancelled before it was reserved leaves a cancelled record with no carrier,
        # only so that a late stock-reserved ships nothing: it never was a shipment.
        if not shipment.carrier:
            raise none_for_order("shipment", request.order_id)
        return pb.GetShipmentResponse(shipment=shipment)
