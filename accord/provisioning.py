"""`make streams`: every stream, bucket and durable consumer that the AsyncAPI documents
declare, created or updated in one go (and refused as a whole if it would lose data)."""

from pathlib import Path

import nats

from accord.codegen._asyncapi import service_documents
from accord.events import provision_documents


async def provision_all(servers: list[str], root: Path = Path()) -> list[str]:
    nc = await nats.connect(servers=servers, name="accord-streams")
    try:
        return await provision_documents(nc, service_documents(root))
    finally:
        await nc.drain()
