from pydantic import Field, IPvAnyNetwork

from accord.settings import ServiceSettings, service_config


class NotificationsSettings(ServiceSettings):
    """ACCORD_NOTIFICATIONS_HOST, ACCORD_NOTIFICATIONS_PORT (default 50052), NATS_URL, and
    how webhooks are delivered (ACCORD_NOTIFICATIONS_WEBHOOK_*)."""

    model_config = service_config("notifications")

    port: int = 50052

    webhook_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="The overall deadline of one webhook delivery attempt (resolving the "
        "host, connecting, sending, the answer's headers): past it, the attempt failed. Keep "
        "it under the delivery consumer's ackWait (30 s).",
    )
    webhook_allowed_networks: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Networks webhooks may reach although they are not public internet "
        "addresses (loopback, private, link-local, ...), as a JSON list of CIDRs such as "
        "'[\"127.0.0.2/32\"]'. Empty by default: public addresses only. Tests and "
        "development open the addresses of their own receivers.",
    )
    webhook_retry_delays: tuple[float, ...] | None = Field(
        default=None,
        description="Seconds before each retry of a failed webhook delivery; unset keeps the "
        "contract's backoff (5 s up to 2 h). Tests set short ones.",
    )
    webhook_max_attempts: int | None = Field(
        default=None,
        ge=1,
        description="Attempts of one webhook delivery before it is dead-lettered; unset keeps "
        "the contract's maxDeliver (8).",
    )
