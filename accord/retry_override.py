"""A consumer's retry policy as a service's settings may override it.

The contract says how often, and after which delays, a failed event is delivered again
(`maxDeliver`, `backoff`); production keeps that. Tests shorten the delays so that a retry
is seen in seconds, and a service that exposes the two as settings (devices' adjustments,
notifications' webhook deliveries) gives the contract they leave unset unchanged.
"""

import dataclasses
from collections.abc import Iterable

from accord.events import Contract


def with_retries(
    contract: Contract,
    operations: Iterable[str],
    backoff: tuple[float, ...] | None,
    max_deliver: int | None,
) -> Contract:
    """`contract` with the consumers of `operations` retried after `backoff` and delivered at
    most `max_deliver` times, where those are given; `contract` itself when nothing changes."""
    overridden = dict(contract.operations)
    for key in operations:
        operation = contract.operation(key)
        consumer = operation.consumer
        if consumer is None:
            raise ValueError(f"{key} of {contract.title!r} has no consumer to retry")
        consumer = dataclasses.replace(
            consumer,
            backoff=consumer.backoff if backoff is None else backoff,
            max_deliver=consumer.max_deliver if max_deliver is None else max_deliver,
        )
        overridden[key] = dataclasses.replace(operation, consumer=consumer)
    if overridden == dict(contract.operations):
        return contract
    return dataclasses.replace(contract, operations=overridden)
