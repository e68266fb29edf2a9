"""Ids that sort in creation order, so that listings are stable and keys page in order."""

import secrets
import time


def new_id(prefix: str) -> str:
    # Milliseconds since the epoch (12 hex digits), then 32 random bits: ids made in the same
    # millisecond still differ. The prefix tells accounts, transfers and deposits apart.
    return f"{prefix}{time.time_ns() // 1_000_000:012x}{secrets.token_hex(4)}"
