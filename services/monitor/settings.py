from datetime import timedelta

from pydantic import Field

from accord.settings import CallTimeout, ServiceSettings, service_config


class MonitorSettings(ServiceSettings):
    """ACCORD_MONITOR_HOST, ACCORD_MONITOR_PORT (default 50061), NATS_URL, the grouping window
    (ACCORD_MONITOR_WINDOW, e.g. "PT24H" or seconds) and the monitor's own API key for calls
    through the gateway (ACCORD_MONITOR_GATEWAY_API_KEY; created in development)."""

    model_config = service_config("monitor")

    port: int = 50061

    window: timedelta = Field(
        default=timedelta(hours=24),
        gt=timedelta(0),
        description="How long after a customer's first error of a fingerprint later errors "
        "are counted on the same ticket instead of opening another.",
    )
    # OpenTicket at support, SendNotification at notifications: one that fails is retried
    # with the event, so keep it well under the error consumer's ackWait (30 s).
    call_timeout_seconds: CallTimeout = 10.0
