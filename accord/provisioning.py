"""Provisioning apart from running: streams, buckets and durable consumers are created and
changed by the operator identity, never by a running service (whose NATS permissions allow
no stream to be created, changed or deleted).

`make streams` provisions every document at once (accord.tooling.streams); in development a
service provisions its own contract at start, also as the operator (here).
"""

import logging
from collections.abc import Sequence

from accord.events import Contract, provision
from accord.nats_auth import connect_operator
from accord.settings import ServiceSettings

_log = logging.getLogger("accord.provisioning")


async def provision_at_start(settings: ServiceSettings, contracts: Sequence[Contract]) -> None:
    """Development: a service starting alone provisions what it needs, as the operator.
    Production: nothing here; `make streams` runs, as the operator, before a deploy."""
    if not settings.provision:
        return
    if not settings.development:
        _log.info("production: streams are provisioned by `make streams`, not at start")
        return
    nc = await connect_operator(settings, name="accord-provision")
    try:
        await provision(nc.jetstream(), contracts)
    finally:
        await nc.drain()
