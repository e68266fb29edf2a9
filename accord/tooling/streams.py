"""`make streams`: every document's streams, buckets and durable consumers, as the operator.

It provisions every document at once, and refuses as a whole if it would lose data. A
running service never does this (its NATS permissions allow no stream to be created,
changed or deleted); in development a service provisions its own contract at start, also
as the operator (accord.provisioning).
"""

from pathlib import Path

from accord.events import provision_documents, service_documents
from accord.nats_auth import connect_operator
from accord.settings import CommonSettings

REPOSITORY = Path(__file__).resolve().parents[2]


async def provision_all(settings: CommonSettings, root: Path = REPOSITORY) -> list[str]:
    nc = await connect_operator(settings, name="accord-streams")
    try:
        return await provision_documents(nc, service_documents(root))
    finally:
        await nc.drain()
