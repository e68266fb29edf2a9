"""Provisioning apart from running: streams, buckets and durable consumers are created and
changed by the operator identity, never by a running service (whose NATS permissions allow
no stream to be created, changed or deleted).

`make streams` provisions every document at once (and refuses as a whole if it would lose
data); in development a service provisions its own contract at start, also as the operator.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

from accord.events import Contract, provision, provision_documents
from accord.events._document import service_documents
from accord.nats_auth import connect_operator
from accord.settings import CommonSettings, ServiceSettings

_log = logging.getLogger("accord.provisioning")

REPOSITORY = Path(__file__).resolve().parent.parent


async def provision_all(settings: CommonSettings, root: Path = REPOSITORY) -> list[str]:
    nc = await connect_operator(settings, name="accord-streams")
    try:
        return await provision_documents(nc, service_documents(root))
    finally:
        await nc.drain()


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
