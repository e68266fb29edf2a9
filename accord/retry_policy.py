"""A contract whose consumers are retried as the service's settings say.

A consumer's retry policy is part of its contract (`backoff` and `maxDeliver` under
`x-jetstream`). A service may let a setting override it for some operations: tests use
short delays, production keeps the contract's. `with_retry_policy` is that override, in one
place for every service that offers one.
"""

import dataclasses
from collections.abc import Iterable
from typing import Any

from accord.events import Contract


def with_retry_policy(
    contract: Contract,
    operations: Iterable[str],
    delays: tuple[float, ...] | None,
    max_deliver: int | None,
) -> Contract:
    """`contract` with the consumers of `operations` retried after `delays` and delivered at
    most `max_deliver` times, each only where given; `contract` itself when that changes
    nothing."""
    override: dict[str, Any] = {}
    if delays is not None:
        override["backoff"] = delays
    if max_deliver is not None:
        override["max_deliver"] = max_deliver
    changed = dict(contract.operations)
    for key in operations:
        operation = contract.operation(key)
        if operation.consumer is None:
            raise ValueError(f"{key} is not consumed in {contract.title}: it has no retries")
        consumer = dataclasses.replace(operation.consumer, **override)
        changed[key] = dataclasses.replace(operation, consumer=consumer)
    if changed == dict(contract.operations):
        return contract
    return dataclasses.replace(contract, operations=changed)
