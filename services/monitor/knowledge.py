"""What to suggest to a customer who hit an error: a small knowledge base keyed by error code.

Data, not logic: support staff extend it by adding an entry. Lookup is by the exact code
(codes are upper case by contract); a code that is not here gets the generic suggestion, so
every notice carries something the customer can try.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Suggestion:
    summary: str  # what went wrong, in the customer's words
    fix: str  # what to try


GENERIC = Suggestion(
    summary="Something went wrong in the app.",
    fix="Please try again in a few minutes. If it keeps happening, update the app to its "
    "latest version; our support team has been told and will look into it.",
)

KNOWLEDGE_BASE: dict[str, Suggestion] = {
    "PAYMENT_DECLINED": Suggestion(
        summary="Your payment was declined.",
        fix="Check that your card has not expired and that its billing address matches, or "
        "pay with another card.",
    ),
    "CARD_EXPIRED": Suggestion(
        summary="Your card has expired.",
        fix="Add your new card under Payment methods, then try again.",
    ),
    "E_TIMEOUT": Suggestion(
        summary="The app did not get an answer in time.",
        fix="Check your connection (switching between Wi-Fi and mobile data often helps), "
        "then try again.",
    ),
    "NETWORK_OFFLINE": Suggestion(
        summary="The app could not reach the internet.",
        fix="Turn off airplane mode and check your Wi-Fi or mobile data, then try again.",
    ),
    "SESSION_EXPIRED": Suggestion(
        summary="You were signed out.",
        fix="Sign in again; if it keeps happening, check that your device's date and time "
        "are set automatically.",
    ),
    "ADDRESS_INVALID": Suggestion(
        summary="We could not use the delivery address.",
        fix="Check the postcode and house number under Addresses, then place the order again.",
    ),
    "OUT_OF_STOCK": Suggestion(
        summary="An item in your basket sold out.",
        fix="Remove it from the basket or choose another size or colour; we will tell you "
        "when it is back.",
    ),
    "STORAGE_FULL": Suggestion(
        summary="Your device is out of storage.",
        fix="Free some space on your device, then open the app again.",
    ),
}


def suggestion_for(error_code: str) -> Suggestion:
    return KNOWLEDGE_BASE.get(error_code, GENERIC)
