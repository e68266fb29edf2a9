from datetime import timedelta

from pydantic import Field

from accord.settings import CallTimeout, ServiceSettings, service_config


class MarketingSettings(ServiceSettings):
    """ACCORD_MARKETING_HOST, ACCORD_MARKETING_PORT (default 50057), the recommendation rules
    (ACCORD_MARKETING_THRESHOLD, ..._HALF_LIFE_HOURS, ..._COOL_DOWN_HOURS, ..._TOP_N,
    ..._SETTLE_SECONDS), NATS_URL, ACCORD_HOME, ACCORD_GATEWAY_ADDRESS."""

    model_config = service_config("marketing")

    port: int = 50057
    threshold: float = Field(
        default=10.0,
        gt=0,
        description="The score a category or brand must reach for a recommendation: "
        "10 views, or 4 clicks, of one category's products within a short time.",
    )
    half_life_hours: float = Field(
        default=72.0, gt=0, description="Every score halves in this time (3 days)."
    )
    cool_down_hours: float = Field(
        default=168.0,
        ge=0,
        description="At most one recommendation per customer in this time (a week).",
    )
    top_n: int = Field(default=3, ge=1, le=12, description="How many products an email lists.")
    settle_seconds: float = Field(
        default=2.0,
        ge=0,
        le=20,
        description="How long after the threshold is crossed the email is sent: it then "
        "ranks on the whole burst of browsing, and an opt-out until then still stops it.",
    )
    notify_timeout_seconds: CallTimeout = 5.0  # SendNotification, for a recommendation
    max_events_per_call: int = Field(
        default=1000, ge=1, description="How many browsing events one TrackEvents call takes."
    )

    @property
    def half_life(self) -> timedelta:
        return timedelta(hours=self.half_life_hours)

    @property
    def cool_down(self) -> timedelta:
        return timedelta(hours=self.cool_down_hours)
