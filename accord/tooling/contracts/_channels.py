"""Channels: who may send on them, and parameters that match their addresses.

- **One sender per channel.** The document that sends on a channel owns it: its identity
  alone may publish there (the generated NATS permissions), and consumers check that an
  event's `ce-source` is the owner's. Two documents sending on the same subjects would
  make that meaningless, so it is refused.
- **Parameters, not wildcards.** A channel with one subject per customer or device names
  each varying token as an AsyncAPI parameter (`...inapp.{customerId}`); every `{name}` in
  the address is declared under `parameters`, every declared parameter appears in the
  address, and no NATS wildcard (`*`, `>`) stands in an address, where other AsyncAPI
  tools would read it literally.
"""

import re
from typing import Any

from accord.tooling.contracts._subjects import overlaps
from accord.tooling.contracts._tree import get, mapping

_PARAMETER = re.compile(r"\{([^{}]*)\}")


def lint_channels(documents: dict[str, Any]) -> list[str]:
    """Problems of the channels of every document (name -> resolved document)."""
    problems: list[str] = []
    for name, document in documents.items():
        for key, channel in mapping(get(document, "channels")).items():
            problems += _parameters(f"{name}: channels.{key}", channel)
    return problems + _one_sender(documents)


def _parameters(where: str, channel: Any) -> list[str]:
    address = get(channel, "address")
    if not isinstance(address, str):
        return []
    problems = []
    tokens = address.split(".")
    if any(token in ("*", ">") for token in tokens):
        problems.append(
            f"{where}: address {address!r} holds a NATS wildcard; name the varying token "
            "as a parameter instead (`{customerId}`, declared under `parameters`)"
        )
    used = _PARAMETER.findall(address)
    for token in tokens:
        if "{" in token and not _PARAMETER.fullmatch(token):
            problems.append(
                f"{where}: address {address!r}: a parameter must be a whole subject token, "
                f"not part of {token!r}"
            )
    declared = set(mapping(get(channel, "parameters")))
    for missing in sorted(set(used) - declared):
        problems.append(
            f"{where}: address {address!r} uses parameter {missing!r}, which the channel "
            "does not declare under `parameters`"
        )
    for unused in sorted(declared - set(used)):
        problems.append(
            f"{where}: parameter {unused!r} is declared but does not appear in the address "
            f"{address!r}"
        )
    return problems


def _one_sender(documents: dict[str, Any]) -> list[str]:
    senders: list[tuple[str, str, str]] = []  # (document, operation, address)
    for name, document in documents.items():
        for op_name, operation in mapping(get(document, "operations")).items():
            address = get(operation, "channel", "address")
            if get(operation, "action") == "send" and isinstance(address, str):
                senders.append((name, op_name, address))
    problems = []
    for i, (name, op_name, address) in enumerate(senders):
        for other, other_op, other_address in senders[i + 1 :]:
            if other != name and overlaps(address, other_address):
                problems.append(
                    f"{other}: operation {other_op} sends on {other_address!r}, a channel "
                    f"that {name} (operation {op_name}) sends on: one service owns a "
                    "channel, and only its identity may publish there"
                )
    return problems
