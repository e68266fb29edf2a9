"""Every method of every contract, called with hostile values, answers honestly.

Hostile: negative, zero, largest and smallest numbers of each type (so that sums overflow),
non-finite floats, empty, huge, unicode and NATS-special strings (`>`, `*`, `.`), garbage
page tokens, unknown enum values, and repeated fields with thousands of items. Each call goes
straight to the service that serves the method, as the gateway would send it (a signed
principal holding every scope), so that it reaches the service's own code.

No call may answer UNKNOWN or INTERNAL (a Python error that escaped), and no status may carry
a Python class name or traceback. Before: `UNKNOWN: Unexpected <class 'ValueError'>: Value
out of range: ...` for an order total past int64, and RESOURCE_EXHAUSTED for a PlaceOrder
with 10,000 invalid lines (its BadRequest, about 1 MB, exceeded the trailer limit).
"""

import asyncio
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor, message

from accord.call_metadata import channel_with_metadata
from accord.descriptors import MethodContract
from accord.identity import PRINCIPAL_HEADER, Principal, sign_principal
from accord.rpc_status import details_of
from accord.tooling import devkeys
from tests.e2e.conftest import Platform
from tests.support.contracts import every_method, message_type, multicallable, new_message

pytestmark = pytest.mark.e2e

F = descriptor.FieldDescriptor
INT32 = (F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32)
INT64 = (F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64)
UINT32 = (F.TYPE_UINT32, F.TYPE_FIXED32)
UINT64 = (F.TYPE_UINT64, F.TYPE_FIXED64)
NUMBERS: dict[int, list[Any]] = {
    **{t: [-1, 0, 2**31 - 1, -(2**31)] for t in INT32},
    **{t: [-1, 0, 2**63 - 1, -(2**63)] for t in INT64},
    **{t: [0, 2**32 - 1] for t in UINT32},
    **{t: [0, 2**64 - 1] for t in UINT64},
    F.TYPE_DOUBLE: [-1.0, 0.0, 1e308, math.inf, -math.inf, math.nan],
    F.TYPE_FLOAT: [-1.0, 0.0, 3e38, math.inf, math.nan],
}
STRINGS = ["", ">", "*", ".", "a.b.>", "$KV.orders.x", " ", "ünï©ødé ✓ 😀", "x" * 70_000, "a\x00b"]
PAGE_TOKENS = ["!!!", "AAAA", "czE6OTk5OTk5OTk5OTk5OTk5OTk5OTk5OQ==", "czE6LTE="]
MANY = 10_000  # items of a repeated field
IN_FLIGHT = 16
STREAM_WAIT = 1.0  # a server stream that is still open after this is fine: it streams
PYTHON_LEAK = re.compile(r"<class '|Traceback \(most recent|\b\w+(Error|Exception)\(")


@dataclass(frozen=True)
class Case:
    method: MethodContract
    what: str  # which value is hostile, for the report
    request: message.Message


def plausible(field: Any, n: int) -> Any:
    """A value that passes most checks, so that the hostile one is what a call trips on."""
    if field.type == F.TYPE_STRING:
        known = {"currency_code": "EUR", "currency": "EUR", "email": "hv@example.com"}
        return known.get(field.name, f"hv-{n}")
    if field.type == F.TYPE_BYTES:
        return b"hv"
    if field.type == F.TYPE_BOOL:
        return True
    if field.type == F.TYPE_ENUM:
        return 1 if len(field.enum_type.values) > 1 else 0
    if field.type in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        return 2.0
    return 2  # integers: two of a thing, so that a largest price overflows a total


def fill(msg: message.Message, n: int, depth: int = 0) -> None:
    """Every field plausible, nested messages too (three levels), one item per repeated."""
    fields: list[Any] = list(msg.DESCRIPTOR.fields)
    for field in fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            getattr(msg, field.name)["hv"] = "hv" if _map_value_is_string(field) else None
            continue
        if field.type == F.TYPE_MESSAGE:
            if depth >= 3 or field.message_type.full_name.startswith("google.protobuf"):
                continue
            child = getattr(msg, field.name).add() if _repeated(field) else getattr(msg, field.name)
            fill(child, n, depth + 1)
        elif _repeated(field):
            getattr(msg, field.name).append(plausible(field, n))
        else:
            setattr(msg, field.name, plausible(field, n))


def _repeated(field: Any) -> bool:
    return bool(field.is_repeated)


def _map_value_is_string(field: Any) -> bool:
    return bool(field.message_type.fields_by_name["value"].type == F.TYPE_STRING)


def hostile_values(field: Any) -> list[Any]:
    if field.type == F.TYPE_STRING:
        return STRINGS + (PAGE_TOKENS if "token" in field.name else [])
    if field.type == F.TYPE_BYTES:
        return [b"", b"\xff" * 70_000]
    if field.type == F.TYPE_ENUM:
        return [0, 9_999]
    return NUMBERS.get(field.type, [])


def paths(
    descriptor_: Any, prefix: tuple[str, ...] = (), depth: int = 0
) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar field, nested ones through the first item of a repeated message."""
    for field in descriptor_.fields:
        path = (*prefix, field.name)
        if field.type == F.TYPE_MESSAGE:
            if field.message_type.GetOptions().map_entry or depth >= 3:
                continue
            if field.message_type.full_name.startswith("google.protobuf"):
                continue
            yield from paths(field.message_type, path, depth + 1)
        else:
            yield path, field


def _set(request: message.Message, path: tuple[str, ...], value: Any) -> None:
    target: Any = request
    for name in path[:-1]:
        holder = getattr(target, name)
        target = holder[0] if hasattr(holder, "add") else holder
    field = target.DESCRIPTOR.fields_by_name[path[-1]]
    if _repeated(field):
        del getattr(target, path[-1])[:]
        getattr(target, path[-1]).append(value)
    else:
        setattr(target, path[-1], value)


def cases() -> Iterator[Case]:
    for n, method in enumerate(every_method()):
        input_type: Any = message_type(method.input_type)
        yield Case(method, "empty", new_message(method.input_type))
        base = new_message(method.input_type)
        fill(base, n)
        yield Case(method, "plausible", base)
        for path, field in paths(input_type):
            for value in hostile_values(field):
                request = new_message(method.input_type)
                request.CopyFrom(base)
                try:
                    _set(request, path, value)
                except (ValueError, TypeError):  # an enum field refuses what proto3 allows
                    continue
                yield Case(method, f"{'.'.join(path)}={_short(value)}", request)
        for field in input_type.fields:
            if not _repeated(field) or field.type != F.TYPE_MESSAGE:
                continue
            request = new_message(method.input_type)
            request.CopyFrom(base)
            if field.message_type.GetOptions().map_entry:
                entries = getattr(request, field.name)
                if _map_value_is_string(field):
                    entries.update({f">{i}.*": "x" * 100 for i in range(MANY)})
                    yield Case(method, f"{field.name}={{{MANY} hostile entries}}", request)
                continue
            items = getattr(request, field.name)
            for _ in range(MANY):
                items.add()  # each item empty: invalid in every field
            yield Case(method, f"{field.name}=[{MANY} empty items]", request)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} chars)"


async def answer(platform: Platform, case: Case, channels: dict[str, Any]) -> tuple[str, str, int]:
    """The status code name and message the call ended with, and how many google.rpc.Status
    details it carried."""
    call = multicallable(channels[case.method.service], case.method)
    try:
        if case.method.client_streaming:
            requests = [case.request]

            async def stream() -> Any:
                for request in requests:
                    yield request

            if case.method.server_streaming:
                async for _ in call(stream(), timeout=STREAM_WAIT):
                    pass
            else:
                await call(stream(), timeout=10)
        elif case.method.server_streaming:
            async for _ in call(case.request, timeout=STREAM_WAIT):
                pass
        else:
            await call(case.request, timeout=10)
    except grpc.aio.AioRpcError as error:
        return error.code().name, error.details() or "", len(details_of(error))
    return "OK", "", 0


def _channels(platform: Platform, subject: str, scopes: frozenset[str]) -> dict[str, Any]:
    key = devkeys.ensure_principal_key(platform.home)
    principal = Principal(subject=subject, scopes=scopes, via="jwt")

    def signed(method: str) -> list[tuple[str, str]]:
        service = method.strip("/").split("/")[0]
        return [(PRINCIPAL_HEADER, sign_principal(principal, service, key, int(time.time()), 60))]

    channels = {}
    for running in platform.services.values():
        channel = channel_with_metadata(f"127.0.0.1:{running.port}", signed)
        for service in running.wiring.services:
            channels[service] = channel
    return channels


async def test_no_method_answers_unknown_or_internal_to_hostile_values(platform: Platform) -> None:
    methods = list(every_method())
    scopes = frozenset(
        scope
        for m in methods
        if m.policy is not None
        for scope in (*m.policy.required_scopes, m.policy.admin_scope)
        if scope
    )
    channels = _channels(platform, "hv-caller", scopes)
    all_cases = list(cases())
    gate = asyncio.Semaphore(IN_FLIGHT)
    wrong: list[str] = []
    codes: dict[str, int] = {}

    async def one(case: Case) -> None:
        async with gate:
            code, text, details = await answer(platform, case, channels)
        codes[code] = codes.get(code, 0) + 1
        # Every refusal is ours, with details (a status too big for the trailers would come
        # back as grpc's own RESOURCE_EXHAUSTED or INTERNAL, without them).
        undetailed = not details and code not in ("OK", "DEADLINE_EXCEEDED")
        if code in ("UNKNOWN", "INTERNAL") or undetailed or PYTHON_LEAK.search(text):
            wrong.append(f"{case.method.full_name} {case.what}: {code} {text[:200]}")

    try:
        await asyncio.gather(*(one(case) for case in all_cases))
    finally:
        for channel in set(channels.values()):
            await channel.close()
    assert not wrong, f"{len(wrong)} of {len(all_cases)} calls:\n" + "\n".join(sorted(wrong))
    # The sweep reached the services' own checks, not only a front door.
    assert codes.get("INVALID_ARGUMENT", 0) > len(all_cases) / 4
