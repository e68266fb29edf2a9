"""What the router template writes for each operation: which typed endpoint, of which
payload models, with which docstring, and which sender a consumer accepts."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from accord.events import Contract, OperationSpec
from accord.tooling.codegen._definitions import MessageAt
from accord.tooling.codegen._literal import literal


@dataclass(frozen=True)
class Endpoint:
    side: str  # producer or consumer
    attribute: str  # send_order_placed
    kind: str  # Publisher, Subscriber, CoreSubscriber, RpcClient or RpcServer
    key: str  # sendOrderPlaced
    types: str  # json.OrderPlacedPayload (and the reply's)
    doc: str
    sender: str  # `, sender=...` for a consumer whose channel has one sender


def endpoints(
    contract: Contract,
    messages: Mapping[str, tuple[MessageAt, MessageAt | None]],
    raw_operations: Mapping[str, Any],
    senders: Mapping[str, str],
) -> list[Endpoint]:
    """One endpoint per operation of `contract`; `messages` holds each operation's message
    and reply, `raw_operations` the operations as written (for their summaries)."""
    found = []
    for key, operation in contract.operations.items():
        message, reply = messages[key]
        types = f"json.{message.payload.name}"
        if reply is not None:
            types += f", json.{reply.payload.name}"
        found.append(
            Endpoint(
                side="producer" if operation.action == "send" else "consumer",
                attribute=_snake_case(key),
                kind=_kind(operation),
                key=key,
                types=types,
                doc=_doc(key, raw_operations.get(key) or {}, operation),
                sender=_sender(operation, senders),
            )
        )
    return found


def senders_of(contracts: Mapping[str, Contract]) -> dict[str, str]:
    """Each channel (its subject pattern) and the `ce-source` of the one document that sends
    on it (`make lint` allows one), from the contracts by their documents' sources. A
    document of devices, whose root `x-accord-identity` names the parameter that identifies
    each device, sends as `<source>/{<parameter>}`: each device is its own source."""
    senders: dict[str, str] = {}
    for source, contract in contracts.items():
        per = contract.identity_parameter
        sender = source + (f"/{{{per}}}" if per else "")
        for operation in contract.operations.values():
            if operation.action == "send":
                senders[operation.pattern] = sender
    return senders


def _kind(operation: OperationSpec) -> str:
    if operation.reply is not None:
        return "RpcClient" if operation.action == "send" else "RpcServer"
    if operation.action == "send":
        return "Publisher"
    return "Subscriber" if operation.consumer is not None else "CoreSubscriber"


def _doc(key: str, raw: Mapping[str, Any], operation: OperationSpec) -> str:
    text = raw.get("summary") or raw.get("title") or raw.get("description") or key
    if operation.action == "send" and operation.parameters:
        text = (
            f"{text} On {operation.address}: `parameters=` or the payload fill in each parameter."
        )
    return " ".join(str(text).split()).replace('"""', "'''")


def _sender(operation: OperationSpec, senders: Mapping[str, str]) -> str:
    if operation.action != "receive" or operation.reply is not None:
        return ""
    sender = senders.get(operation.pattern)
    return f", sender={literal(sender)}" if sender else ""


def _snake_case(name: str) -> str:
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.replace("-", "_"))
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).replace(".", "_").lower()
