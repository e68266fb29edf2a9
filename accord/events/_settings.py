"""Settings of one generated application: each application has its own, none are global."""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EventSettings:
    """How one application talks to NATS.

    `source` becomes every event's `ce-source`. Timeouts are seconds.
    """

    source: str
    publish_timeout: float = 5.0
    publish_attempts: int = 3
    """Tries of one publish (same event id) while JetStream does not answer: a clustered
    stream electing a new leader stalls publishes for a few seconds."""
    request_timeout: float = 5.0
    stop_timeout: float = 30.0
    fetch_timeout: float = 1.0
    """How long one pull waits for messages; it also bounds how quickly `stop` is seen."""
    require_handlers: bool = True
    """Refuse to start while a receive operation has no handler."""
    provision: bool = False
    """Create or update the contract's streams, buckets and consumers at start
    (development); in production `make streams` does it ahead of deploys."""
    parameters: Mapping[str, str] = field(default_factory=dict)
    """Channel parameters this application is bound to: a device's application has its
    `deviceId`, so it publishes on and subscribes to its own subjects only."""
