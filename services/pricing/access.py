"""Who may do what in pricing: staff configure fares; customers quote and book for
themselves (the gateway checks the owner a request names); a quote fetched by id is checked
here, and someone else's gets the same NOT_FOUND as one that does not exist.
"""

from accord.access import Access, Context, not_found

# The admin_scope the contract's policies name for the pricing API.
ADMIN_SCOPE = "pricing:admin"

__all__ = ["ADMIN_SCOPE", "Access", "Context", "not_found"]
