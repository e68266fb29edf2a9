from pathlib import Path

from pydantic import Field

from accord.settings import CallTimeout, ServiceSettings, service_config


class DevicesSettings(ServiceSettings):
    """ACCORD_DEVICES_HOST, ACCORD_DEVICES_PORT (default 50060), NATS_URL, ACCORD_HOME, the
    gateway it calls notifications through (ACCORD_GATEWAY_ADDRESS,
    ACCORD_DEVICES_GATEWAY_API_KEY), and how adjustments are retried
    (ACCORD_DEVICES_ADJUSTMENT_*)."""

    model_config = service_config("devices")

    port: int = 50060

    # SendNotification, for a suggestion: one that runs out is retried with the adjustment,
    # so keep it under the adjustment consumer's ackWait.
    notify_timeout_seconds: CallTimeout = 10.0
    adjustment_retry_delays: tuple[float, ...] | None = Field(
        default=None,
        description="Seconds before each retry of an adjustment that could not be handled (an "
        "unregistered device, notifications unreachable); unset keeps the contract's backoff "
        "(1 s up to 2 min). Tests set short ones.",
    )
    claim_key_file: Path | None = Field(
        default=None,
        description="The manufacturer's claim key (hex), from which each device's claim code "
        "is derived (ACCORD_DEVICES_CLAIM_KEY_FILE); in development it is made under "
        "ACCORD_HOME/keys.",
    )
    nats_issuer_seed_file: Path | None = Field(
        default=None,
        description="The account nkey seed that signs devices' NATS identities "
        "(ACCORD_DEVICES_NATS_ISSUER_SEED_FILE; `accord nats config` makes it); in "
        "development it is made with the other NATS identities.",
    )
    adjustment_max_deliveries: int | None = Field(
        default=None,
        ge=1,
        description="Deliveries of one adjustment before it is dead-lettered; unset keeps the "
        "contract's maxDeliver (5).",
    )
