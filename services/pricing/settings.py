from pydantic import Field

from accord.settings import ServiceSettings, service_config


class PricingSettings(ServiceSettings):
    """ACCORD_PRICING_HOST, ACCORD_PRICING_PORT (default 50059), NATS_URL, ACCORD_HOME, and
    the demand model's parameters (services/pricing/demand.py explains the formula)."""

    model_config = service_config("pricing")

    port: int = 50059
    quote_ttl_seconds: float = Field(
        default=600.0, gt=0, description="How long a quote holds its price."
    )
    window_seconds: float = Field(
        default=900.0, gt=0, description="The sliding window of booking velocity."
    )
    target_load: float = Field(
        default=0.5, ge=0, le=1, description="The load factor at which demand adds nothing."
    )
    load_weight: float = Field(
        default=1.0, ge=0, description="`a`: how much each unit of load above target adds."
    )
    velocity_weight: float = Field(
        default=2.0, ge=0, description="`b`: how much each unit of velocity adds."
    )
    min_multiplier: float = Field(default=0.8, gt=0, description="The lowest multiplier.")
    max_multiplier: float = Field(default=2.0, gt=0, description="The highest multiplier.")
    reprice_every_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often flights with recent bookings are repriced, so that velocity "
        "falls as bookings leave the window; 0 turns the sweep off.",
    )
    seed_demo_routes: bool = Field(
        default=True, description="Configure the demo flights at start when they are absent."
    )
