"""Devices settings for the end-to-end platform: a report that cannot be handled (an
unregistered device, notifications not reachable yet) is retried within tenths of a second,
not the contract's seconds to minutes, so no test waits on the production backoff."""

OVERRIDES: dict[str, object] = {
    "adjustment_retry_delays": (0.1, 0.2, 0.5),
    "adjustment_max_deliveries": 4,
}
