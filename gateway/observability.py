"""What each call leaves behind: one JSON access-log line and Prometheus metrics.

Both run once per call on a busy process, where they cost several times what they do in a
micro-benchmark (cold caches between calls): label children are looked up once per method
and code, and the log line is formatted directly rather than through a dict and json.dumps.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import grpc
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

access_log = logging.getLogger("accord.gateway.access")

_LINE = (
    '{"request_id":%s,"principal":%s,"method":%s,"status":"%s",'
    '"duration_ms":%.3f,"bytes_in":%d,"bytes_out":%d}'
)


@dataclass(slots=True)
class CallRecord:
    """Filled in as a call goes through the gateway; logged and counted when it ends."""

    request_id: str
    method: str
    started: float = field(default_factory=time.perf_counter)
    subject: str | None = None
    code: grpc.StatusCode = grpc.StatusCode.OK
    bytes_in: int = 0
    bytes_out: int = 0


class Metrics:
    """Calls per method, errors by code and latency, in a registry of the gateway's own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "accord_gateway_calls",
            "Calls that ended, by method and status code.",
            ["method", "code"],
            registry=self.registry,
        )
        self.errors = Counter(
            "accord_gateway_errors",
            "Calls that ended with a status other than OK, by method and code.",
            ["method", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "accord_gateway_call_duration_seconds",
            "Time from a call's arrival to its end, by method.",
            ["method"],
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        # (method, code) → the children to update; methods and codes are bounded sets.
        self._children: dict[tuple[str, grpc.StatusCode], tuple[Any, Any, Any]] = {}

    def count(self, method: str, code: grpc.StatusCode, seconds: float) -> None:
        children = self._children.get((method, code))
        if children is None:
            failed = None if code is grpc.StatusCode.OK else self.errors.labels(method, code.name)
            children = self._children[(method, code)] = (
                self.calls.labels(method, code.name),
                failed,
                self.latency.labels(method),
            )
        calls, errors, latency = children
        calls.inc()
        if errors is not None:
            errors.inc()
        latency.observe(seconds)

    def serve(self, listen: str) -> tuple[Any, int]:
        """Expose /metrics over HTTP on `host:port` (a thread of prometheus-client's own).

        Returns the HTTP server (to shut down) and its port (port 0 picks a free one)."""
        host, _, port = listen.rpartition(":")
        server, _thread = start_http_server(
            int(port), addr=host or "127.0.0.1", registry=self.registry
        )
        return server, int(server.server_port)


def finish(record: CallRecord, metrics: Metrics) -> None:
    """Log and count a call that has ended."""
    seconds = time.perf_counter() - record.started
    metrics.count(record.method, record.code, seconds)
    if access_log.isEnabledFor(logging.INFO):
        subject = record.subject
        access_log.info(
            _LINE,
            json.dumps(record.request_id),
            "null" if subject is None else json.dumps(subject),
            json.dumps(record.method),
            record.code.name,
            seconds * 1000,
            record.bytes_in,
            record.bytes_out,
        )
