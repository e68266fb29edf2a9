"""Who may call: each customer only for themselves, staff for anyone.

The edge and the service's own contract enforcement (accord.enforcement) check the scope and
the owner field of every method's policy, whichever way a call came; here only the id's shape
is checked, and the verified caller handed on.
"""

from accord.access import Access, Context
from accord.identity import Principal
from accord.validation import check, id_violations


class CustomerAccess(Access):
    def customer(self, context: Context, customer_id: str) -> Principal:
        """The caller, who may act for `customer_id` (a valid id): itself, or staff."""
        check(id_violations("customer_id", customer_id))
        return self.caller(context)
