"""Order ids that sort in creation order, so that listing pages are stable."""

import secrets
import time


def new_order_id() -> str:
    # Milliseconds since the epoch (12 hex digits: good until the year 10889), then 32 random
    # bits: ids made in the same millisecond still differ. Python 3.11 has no uuid7.
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(4)}"
