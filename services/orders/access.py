"""Who may reach an order: its customer, or staff holding the orders admin scope.

The rules themselves are the platform's (accord.access): the gateway checks scopes and the
owner a request names; an order fetched by id is checked here, and someone else's order gets
the same NOT_FOUND as one that does not exist.
"""

from acme.orders.v2 import orders_pb2 as v2

from accord import access
from accord.identity import Principal

# The admin_scope that the contract's policies name for the orders API.
ADMIN_SCOPE = "orders:admin"


def may_see(caller: Principal, order: v2.Order) -> bool:
    return access.may_see(caller, order.customer_id, ADMIN_SCOPE)
