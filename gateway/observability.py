"""What each call leaves behind: one JSON access-log line and Prometheus metrics.

Both run once per call on a busy process, where they cost several times what they do in a
micro-benchmark (cold caches between calls): label children are looked up once per method
and code, and the log line is formatted directly rather than through a dict and json.dumps:
the method and the principal are JSON-encoded once each (they repeat), the request id only
when it holds a character JSON must escape. Nothing is formatted when INFO is off for the log.
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
    started: int = field(default_factory=time.perf_counter_ns)  # nanoseconds
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
    nanoseconds = time.perf_counter_ns() - record.started
    metrics.count(record.method, record.code, nanoseconds / 1e9)
    if access_log.isEnabledFor(logging.INFO):
        subject = record.subject
        # One finished line, so the logging machinery has no arguments left to format.
        access_log.info(
            _LINE
            % (
                _quoted(record.request_id),
                "null" if subject is None else _json_of(subject),
                _json_of(record.method),
                record.code.name,
                nanoseconds / 1e6,
                record.bytes_in,
                record.bytes_out,
            )
        )


# Methods are a bounded set; subjects are not, so the cache is emptied when it fills up.
_JSON: dict[str, str] = {}
_MAX_JSON = 10_000


def _json_of(text: str) -> str:
    """`json.dumps(text)`, remembered."""
    encoded = _JSON.get(text)
    if encoded is None:
        if len(_JSON) >= _MAX_JSON:
            _JSON.clear()
        encoded = _JSON[text] = json.dumps(text)
    return encoded


def _quoted(text: str) -> str:
    """`json.dumps(text)` for a request id, which is printable ASCII (pipeline.py checks it):
    only a quote or a backslash needs escaping then, and usually neither is there."""
    if '"' in text or "\\" in text or not text.isascii() or not text.isprintable():
        return json.dumps(text)
    return '"' + text + '"'
