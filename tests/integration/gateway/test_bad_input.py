"""Bad bytes: random bodies, truncated messages and oversized metadata get clean statuses,
and the gateway keeps serving. Property-based, with a fixed seed and a bounded count.

Hypothesis drives a blocking grpc client in a worker thread, because the gateway under test
runs on this test's event loop.
"""

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.message import DecodeError, Message
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.server import Gateway
from tests.integration.gateway.conftest import V3, token

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]  # message classes made at run time from the test image

# What a call with bad input may end with: a status the gateway or the backend chose, never a
# hang, never the gateway's own INTERNAL.
CLEAN = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,  # the gateway could not decode an owner-checked request
    grpc.StatusCode.PERMISSION_DENIED,  # it decoded, and names someone else
    grpc.StatusCode.UNKNOWN,  # the backend could not decode it (grpc's answer for its error)
    grpc.StatusCode.INTERNAL,  # the backend failed or grpc refused malformed metadata
    grpc.StatusCode.RESOURCE_EXHAUSTED,  # metadata beyond grpc's header limits
}
# Codes only the gateway itself gives here: these must carry a google.rpc.Status.
GATEWAY_CODES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED}


def _bodies(request_type: type[Message]) -> st.SearchStrategy[bytes]:
    valid = st.builds(
        lambda text, customer, blob: request_type(
            text=text, customer_id=customer, blob=blob
        ).SerializeToString(),
        st.text(max_size=40),
        st.sampled_from(["alice", "bob", ""]),
        st.binary(max_size=64),
    )
    truncated = st.tuples(valid, st.integers(min_value=0, max_value=200)).map(
        lambda pair: pair[0][: pair[1]]
    )
    return st.one_of(st.binary(max_size=300), truncated, valid)


def _harmless(request_type: type[Message], body: bytes) -> bool:
    """Random bytes may decode into 'sleep an hour' or 'repeat a blob a billion times'."""
    try:
        decoded: Any = request_type.FromString(body)
    except DecodeError:
        return True
    return not decoded.sleep_seconds and 0 <= decoded.count <= 4 and not decoded.fail_with


def _call(
    address: str, path: str, body: bytes, metadata: tuple[tuple[str, str | bytes], ...]
) -> tuple[grpc.StatusCode, str | None, Any]:
    """One blocking call with raw bytes: its code, message and google.rpc.Status (or None)."""
    with grpc.insecure_channel(address) as channel:
        try:
            if path.endswith("/Collect"):
                collect: Any = channel.stream_unary(path)
                collect(iter([body, body]), metadata=metadata, timeout=20)
            else:
                unary: Any = channel.unary_unary(path)
                unary(body, metadata=metadata, timeout=20)
        except grpc.RpcError as error:
            failed: Any = error  # a grpc.Call as well as an RpcError
            return failed.code(), failed.details(), rpc_status.from_call(failed)
    return grpc.StatusCode.OK, None, None


async def test_random_bytes_truncated_messages_and_oversized_metadata_get_clean_statuses(
    gateway: Gateway, echo_types: Types, auth_home: Path
) -> None:
    request_type, _ = echo_types
    address = f"127.0.0.1:{gateway.port}"
    bearer = f"Bearer {token(auth_home, 'alice', 'echo:write')}"
    seen: Counter[str] = Counter()

    @settings(
        derandomize=True,
        max_examples=80,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(
        method=st.sampled_from(["Echo", "Owned", "Collect"]),
        body=_bodies(request_type),
        junk=st.one_of(st.none(), st.integers(min_value=1, max_value=40_000)),
    )
    def property(method: str, body: bytes, junk: int | None) -> None:
        if not _harmless(request_type, body):
            return
        metadata = [("authorization", bearer)]
        if junk is not None:
            metadata.append(("x-junk", "j" * junk))
        code, details, status = _call(address, f"/{V3}/{method}", body, tuple(metadata))
        assert code in CLEAN, (code, details)
        if code in GATEWAY_CODES:
            assert status is not None, f"{code.name} without a google.rpc.Status"
        seen[code.name] += 1

    await asyncio.to_thread(property)
    assert seen["OK"] > 0, seen
    assert len(seen) > 1, seen

    # And it still serves a plain call.
    async with grpc.aio.insecure_channel(address) as channel:
        echo: Any = channel.unary_unary(f"/{V3}/Echo")
        await echo(request_type(text="still").SerializeToString())
