"""Notifications in the e2e platforms: webhooks may reach 127.0.0.2 (and nothing else that
is not public), where tests/security starts its slow and huge receivers; attempts end after
a second, and a delivery is dead-lettered after its second attempt."""

OVERRIDES: dict[str, object] = {
    "webhook_allowed_networks": ("127.0.0.2/32",),
    "webhook_timeout_seconds": 1.0,
    "webhook_retry_delays": (0.2,),
    "webhook_max_attempts": 2,
}
