"""When a failed call is tried again: only for methods the contract declares safe to retry,
only for failures that may pass (UNAVAILABLE; RESOURCE_EXHAUSTED when the server says when),
after an exponential backoff with jitter, or after the server's own RetryInfo delay."""

import random
from dataclasses import dataclass

import grpc

from ._errors import ApiError


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` counts the first try; 1 turns retries off."""

    max_attempts: int = 4
    initial_backoff: float = 0.1
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts counts the first try: at least 1")
        if self.initial_backoff < 0 or self.max_backoff < self.initial_backoff:
            raise ValueError("backoffs must satisfy 0 <= initial_backoff <= max_backoff")

    def delay(self, attempt: int, error: ApiError) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when not to retry."""
        if attempt >= self.max_attempts or not retryable(error):
            return None
        asked = error.retry_delay
        if asked is not None:
            return asked
        ceiling = min(self.max_backoff, self.initial_backoff * self.multiplier ** (attempt - 1))
        # Full jitter: clients that failed together do not come back together.
        return random.uniform(0, ceiling)


NO_RETRIES = RetryPolicy(max_attempts=1)


def retryable(error: ApiError) -> bool:
    if error.code == grpc.StatusCode.UNAVAILABLE:
        return True
    return error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and error.retry_delay is not None
