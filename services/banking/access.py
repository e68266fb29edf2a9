"""Who may see an account or a transfer: its customer, or staff holding banking:admin.

The rules are the platform's (accord.access): the gateway checks scopes and the owner a
request names (OpenAccount's `customer_id`); an account or transfer fetched by id is checked
here, and someone else's gets the same NOT_FOUND as one that does not exist.
"""

from accord import access
from accord.access import Access, Context, not_found
from accord.identity import Principal

# The admin_scope that the contract's policies name for the banking API.
ADMIN_SCOPE = "banking:admin"


def is_admin(caller: Principal) -> bool:
    return ADMIN_SCOPE in caller.scopes


def may_see(caller: Principal, customer_id: str) -> bool:
    return access.may_see(caller, customer_id, ADMIN_SCOPE)


__all__ = ["ADMIN_SCOPE", "Access", "Context", "is_admin", "may_see", "not_found"]
