"""acme.payments.v1.PaymentService: where a payments call is served.

A payment is fetched by order id, so the gateway cannot check its owner: this does, against
the principal the gateway signed. Someone else's payment gets the same NOT_FOUND as a
missing one, unless the caller holds payments:admin.
"""

from dataclasses import dataclass

from acme.payments.v1 import payments_pb2 as pb
from acme.payments.v1 import payments_pb2_grpc as pb_grpc

from accord.access import Access, Context, none_for_order
from accord.validation import check, id_violations
from services.payments.store import PaymentStore


@dataclass(frozen=True, slots=True)
class PaymentServiceV1(pb_grpc.PaymentServiceServicer):
    store: PaymentStore
    access: Access

    async def GetPayment(
        self, request: pb.GetPaymentRequest, context: Context
    ) -> pb.GetPaymentResponse:
        caller = self.access.caller(context)
        check(id_violations("order_id", request.order_id))
        stored = await self.store.get(request.order_id)
        if stored is None or not self.access.may_see(caller, stored.value.customer_id):
            raise none_for_order("payment", request.order_id)
        return pb.GetPaymentResponse(payment=stored.value)
