"""Budgets for what a call holds on the server while it lasts (a watch's subscription...).

Each caller has its own budget: one that opens too many at once is refused, with
RESOURCE_EXHAUSTED, a QuotaFailure naming it and a RetryInfo, while every other caller goes
on. A ceiling for the whole process keeps a crowd of callers from exhausting what the
process and NATS can hold; it is far above any one caller's share.
"""

import collections
import contextlib
from collections.abc import Iterator

import grpc
from google.protobuf import duration_pb2
from google.rpc import error_details_pb2

from accord.rpc_status import RpcError, error_info

DEFAULT_PER_CALLER = 16
DEFAULT_TOTAL = 10_000
RETRY_AFTER_SECONDS = 5


class CallerBudget:
    """How many of one kind of call each caller (and the process) may hold open at once."""

    def __init__(
        self, what: str, per_caller: int = DEFAULT_PER_CALLER, total: int = DEFAULT_TOTAL
    ) -> None:
        self.what = what
        self.per_caller = per_caller
        self.total = total
        self._held: collections.Counter[str] = collections.Counter()

    def held(self, caller: str) -> int:
        return self._held[caller]

    @contextlib.contextmanager
    def hold(self, caller: str) -> Iterator[None]:
        """Count one open call of `caller` while the block runs; refuse one too many."""
        if self._held[caller] >= self.per_caller:
            raise _exhausted(
                f"caller:{caller}",
                f"at most {self.per_caller} {self.what} open at once per caller",
                "CALLER_BUDGET_EXHAUSTED",
            )
        if self._held.total() >= self.total:
            raise _exhausted(
                "service",
                f"at most {self.total} {self.what} open at once in this service",
                "SERVICE_BUDGET_EXHAUSTED",
            )
        self._held[caller] += 1
        try:
            yield
        finally:
            self._held[caller] -= 1
            if not self._held[caller]:
                del self._held[caller]


def _exhausted(subject: str, description: str, reason: str) -> RpcError:
    return RpcError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        f"too many open calls: {description}; close one or retry later",
        error_details_pb2.QuotaFailure(
            violations=[
                error_details_pb2.QuotaFailure.Violation(subject=subject, description=description)
            ]
        ),
        error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=RETRY_AFTER_SECONDS)),
        error_info(reason),
    )
