"""Load limits: a token bucket per principal and a cap on calls in flight.

Both raise an RpcError with the details a client needs to back off (RetryInfo), so that
well-behaved clients slow down instead of retrying at once.
"""

import time
from collections import OrderedDict

import grpc
from google.rpc import error_details_pb2

from accord.rpc_status import RpcError, error_info
from gateway.errors import retry_info

# Buckets of principals not seen for a while are dropped beyond this many; a dropped bucket
# comes back full, which is what an idle principal's bucket would be anyway.
_MAX_BUCKETS = 100_000


class RateLimiter:
    """Per-principal token buckets: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(max(burst, 1))
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when

    def take(self, key: str) -> None:
        """Spend one token of `key`'s bucket, or raise RESOURCE_EXHAUSTED."""
        if self.rate <= 0:
            return
        now = time.monotonic()
        tokens, then = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise _rate_limited(key, (1.0 - tokens) / self.rate, self.rate)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > _MAX_BUCKETS:
            self._buckets.popitem(last=False)


class ConcurrencyLimiter:
    """A cap on calls in flight; the event loop is single-threaded, so a counter suffices."""

    def __init__(self, limit: int, retry_after_s: float) -> None:
        self.limit = limit
        self.retry_after_s = retry_after_s
        self.in_flight = 0

    def enter(self) -> None:
        if self.in_flight >= self.limit:
            raise RpcError(
                grpc.StatusCode.UNAVAILABLE,
                f"the gateway is at its limit of {self.limit} calls in flight; retry later",
                error_info("OVERLOADED", max_concurrent_calls=str(self.limit)),
                retry_info(self.retry_after_s),
            )
        self.in_flight += 1

    def leave(self) -> None:
        self.in_flight -= 1


def _rate_limited(key: str, wait_s: float, rate: float) -> RpcError:
    violation = error_details_pb2.QuotaFailure.Violation(
        subject=key, description=f"more than {rate:g} calls per second"
    )
    return RpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"rate limit exceeded for {key}; retry in {wait_s:.3f} s",
        error_details_pb2.QuotaFailure(violations=[violation]),
        retry_info(wait_s),
        error_info("RATE_LIMITED", subject=key),
    )
