"""acme.payments.v1.PaymentService: where a payments call is served.

A payment is fetched by order id, so the gateway cannot check its owner: the store's
`for_caller` does (accord.order_records). Someone else's payment gets the same NOT_FOUND as a
missing one, unless the caller holds payments:admin.
"""

from dataclasses import dataclass

from acme.payments.v1 import payments_pb2 as pb
from acme.payments.v1 import payments_pb2_grpc as pb_grpc

from accord.access import Access, Context
from services.payments.store import PaymentStore


@dataclass(frozen=True, slots=True)
class PaymentServiceV1(pb_grpc.PaymentServiceServicer):
    store: PaymentStore
    access: Access

    async def GetPayment(
        self, request: pb.GetPaymentRequest, context: Context
    ) -> pb.GetPaymentResponse:
        payment = await self.store.for_caller(self.access, context, request.order_id)
        return pb.GetPaymentResponse(payment=payment)
