"""The reference authorization rules: simple, deterministic, and checked in this order.

There is no card network behind this service; these rules stand in for one, so that every
path of the purchase cascade can be reached on purpose:

1. no payment token → declined, "no payment method";
2. a token starting with `tok_decline` → declined, "card declined" (a test card);
3. a total above 1,000.00 (100,000 cents, in any currency) → declined, "needs review":
   large orders wait for a person, which this reference service leaves out;
4. anything else → authorized.
"""

from acme_events.payments.messages.json import OrderPlacedPayload

DECLINING_TOKEN_PREFIX = "tok_decline"
REVIEW_LIMIT_CENTS = 100_000

NO_PAYMENT_METHOD = "no payment method"
CARD_DECLINED = "card declined"
NEEDS_REVIEW = "needs review"


def decline_reason(order: OrderPlacedPayload) -> str | None:
    """Why the order's payment is declined, or None when it is authorized."""
    if not order.payment_token:
        return NO_PAYMENT_METHOD
    if order.payment_token.startswith(DECLINING_TOKEN_PREFIX):
        return CARD_DECLINED
    if order.total_cents > REVIEW_LIMIT_CENTS:
        return NEEDS_REVIEW
    return None
