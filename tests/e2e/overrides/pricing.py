"""Pricing settings for the end-to-end platform: quotes expire within seconds, so that a
test can see one expire; long enough that a quote booked right after a price move (a few
calls, milliseconds apart) is still valid on a busy machine."""

OVERRIDES: dict[str, object] = {"quote_ttl_seconds": 4.0}
