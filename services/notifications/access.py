"""Who may call: only the gateway's callers, and each customer only for themselves.

The gateway already checks the scope and the owner field of every method's policy; the
service checks the owner again against the principal the gateway signed (accord.access), so
a routing mistake or a caller that reaches the service directly still cannot read another
customer's notifications.
"""

from accord.access import Access, Context
from accord.identity import Principal
from accord.rpc_status import invalid_argument
from accord.validation import id_violations

# The admin_scope the contract's policies name for the notifications API.
ADMIN_SCOPE = "notifications:admin"


class CustomerAccess(Access):
    def customer(self, context: Context, customer_id: str) -> Principal:
        """The caller, if it may act for `customer_id` (a valid id): itself, or staff."""
        self.caller(context)
        violations = id_violations("customer_id", customer_id)
        if violations:
            raise invalid_argument(violations)
        return self.acting_for(context, customer_id)
