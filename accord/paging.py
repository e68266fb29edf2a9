"""Page tokens: opaque to clients, the last key of the previous page to us."""

import base64
import binascii

from accord.rpc_status import field_violation, invalid_argument


def next_page_token(last_key: str | None) -> str:
    """The token for the page after `last_key`; empty when there is no next page."""
    return base64.urlsafe_b64encode(last_key.encode()).decode() if last_key else ""


def after_key(page_token: str) -> str:
    """The key a page starts after; raises INVALID_ARGUMENT for a token we did not issue."""
    try:
        return base64.urlsafe_b64decode(page_token.encode()).decode() if page_token else ""
    except (binascii.Error, UnicodeDecodeError) as bad:
        raise invalid_argument([field_violation("page_token", "is not a token we issued")]) from bad
