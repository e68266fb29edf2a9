"""Who may see an order: its customer, or staff holding the admin scope.

The gateway has already checked the scopes of the method's policy, and the owner of any
request that names a customer. What it cannot check is an order fetched by id: that is done
here, against the principal the gateway signed. Someone else's order gets the same NOT_FOUND
as an order that does not exist, so ids reveal nothing.
"""

import grpc
from acme.orders.v2 import orders_pb2 as v2

from accord.identity import Principal, PrincipalVerifier
from accord.rpc_status import RpcError, error_info

# The admin_scope that the contract's policies name for the orders API.
ADMIN_SCOPE = "orders:admin"

Context = grpc.aio.ServicerContext[object, object]


class Access:
    """Reads the caller of one service version (the principal's audience is that version)."""

    def __init__(self, verifier: PrincipalVerifier) -> None:
        self._verifier = verifier

    def caller(self, context: Context) -> Principal:
        principal = self._verifier.principal_of(context)
        if principal is None:
            raise RpcError(
                grpc.StatusCode.UNAUTHENTICATED,
                "orders answers only calls that come through the gateway",
                error_info("PRINCIPAL_REQUIRED"),
            )
        return principal


def may_see(caller: Principal, order: v2.Order) -> bool:
    return ADMIN_SCOPE in caller.scopes or order.customer_id == caller.subject
