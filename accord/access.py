"""Who is calling a service, and which customers' records they may reach.

The service's contract-enforcement interceptor (accord.enforcement) has verified the caller
and checked the method's scopes and the owner the request names before a servicer runs; what
the contract cannot say is who owns a record fetched by id. That is done with `may_see`: a
customer reaches their own records, a caller holding the API's admin scope reaches everyone's,
and anyone else gets the same NOT_FOUND as for a record that does not exist, so ids reveal
nothing. The admin scope is the contract's (the service's `access` option, see
accord.descriptors), read once at start: `Access.of(service)`.
"""

from typing import Self

import grpc
from google.protobuf import descriptor_pool

from accord.descriptors import service_contract
from accord.enforcement import current_caller
from accord.identity import Principal
from accord.rpc_status import RpcError, error_info

Context = grpc.aio.ServicerContext[object, object]


class Access:
    """The access rules of one service version."""

    def __init__(self, admin_scope: str) -> None:
        self.admin_scope = admin_scope

    @classmethod
    def of(cls, service: str, pool: descriptor_pool.DescriptorPool | None = None) -> Self:
        """The rules the contract of `service` (a full name, e.g. acme.orders.v2.OrderService)
        gives; `pool` defaults to the generated modules' one, which holds every imported
        contract with its options."""
        return cls(service_contract(service, pool or descriptor_pool.Default()).admin_scope)

    def caller(self, context: Context) -> Principal:
        """The caller the interceptor verified; UNAUTHENTICATED for an anonymous call (on a
        public method: the others never reach the servicer without a caller)."""
        principal = current_caller()
        if principal is None:
            raise RpcError(
                grpc.StatusCode.UNAUTHENTICATED,
                "this method needs a bearer token or an API key",
                error_info("CREDENTIALS_REQUIRED"),
            )
        return principal

    def acting_for(self, context: Context, customer_id: str) -> Principal:
        """The caller, if it may act for `customer_id`: that customer, or staff."""
        caller = self.caller(context)
        if not self.may_see(caller, customer_id):
            raise RpcError(
                grpc.StatusCode.PERMISSION_DENIED,
                "customer_id must name the caller",
                error_info("NOT_OWNER", field="customer_id"),
            )
        return caller

    def staff(self, context: Context, refusal: str) -> Principal:
        """The caller, if it holds the admin scope; PERMISSION_DENIED saying `refusal`
        otherwise. (The gateway checks a staff method's scopes too; a direct call to the
        service is held to the same rule.)"""
        caller = self.caller(context)
        if not self.is_admin(caller):
            raise permission_denied(refusal)
        return caller

    def is_admin(self, caller: Principal) -> bool:
        return self.admin_scope in caller.scopes

    def may_see(self, caller: Principal, customer_id: str) -> bool:
        return may_see(caller, customer_id, self.admin_scope)


def may_see(caller: Principal, customer_id: str, admin_scope: str) -> bool:
    """Whether `caller` may reach a record of `customer_id`."""
    return customer_id == caller.subject or admin_scope in caller.scopes


def permission_denied(text: str) -> RpcError:
    """A refusal that names no owner field: staff-only calls, and what a customer may not do."""
    return RpcError(grpc.StatusCode.PERMISSION_DENIED, text, error_info("PERMISSION_DENIED"))


def not_found(kind: str, record_id: str) -> RpcError:
    """The one answer for a record that does not exist and for someone else's record."""
    return RpcError(
        grpc.StatusCode.NOT_FOUND,
        f"{kind} {record_id} not found",
        error_info(f"{kind.upper()}_NOT_FOUND", id=record_id),
    )


def none_for_order(kind: str, order_id: str) -> RpcError:
    """`not_found` for a record kept per order and fetched by the order's id (a payment, a
    shipment): it names the order, not an id of its own."""
    return RpcError(
        grpc.StatusCode.NOT_FOUND,
        f"no {kind} for order {order_id}",
        error_info(f"{kind.upper()}_NOT_FOUND", order_id=order_id),
    )
