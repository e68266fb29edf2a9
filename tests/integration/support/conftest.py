"""The real support service against the session's nats-server, and ways to call it."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import TypeAlias

from acme.support.v1 import support_pb2_grpc as pb_grpc

from services.support.app import SERVICE
from tests.support.running import caller, callers, service_fixture

CUSTOMER_SCOPES = ("support:read",)
STAFF_SCOPES = ("support:read", "support:staff")
MONITOR = ("svc-monitor", "support:tickets:open")

Stub: TypeAlias = "pb_grpc.SupportServiceAsyncStub"
StubAs: TypeAlias = Callable[..., AbstractAsyncContextManager["pb_grpc.SupportServiceAsyncStub"]]

support_service = service_fixture(SERVICE)
# `async with stub_as("alice") as support:` calls as alice (customer scopes by default).
stub_as = callers("support_service", pb_grpc.SupportServiceStub, *CUSTOMER_SCOPES)
monitor = caller(*MONITOR)
staff = caller("staff", *STAFF_SCOPES)
