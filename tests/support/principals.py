"""Calls that carry a principal signed like the gateway signs it, for testing services alone."""

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
from joserfc.jwk import OKPKey

from accord.call_metadata import channel_with_metadata
from accord.identity import PRINCIPAL_HEADER, Principal, sign_principal
from accord.tooling import devkeys


def principal_key(home: Path) -> OKPKey:
    """The gateway's signing key under `home`, created on first use."""
    return devkeys.ensure_principal_key(home)


def channel_as(address: str, key: OKPKey, subject: str, *scopes: str) -> grpc.aio.Channel:
    """Every call carries `x-accord-principal` for the called service, as the gateway signs it."""
    principal = Principal(subject=subject, scopes=frozenset(scopes), via="jwt")

    def signed(method: str) -> list[tuple[str, str]]:
        service = method.strip("/").split("/")[0]
        header = sign_principal(principal, service, key, int(time.time()), 60)
        return [(PRINCIPAL_HEADER, header)]

    return channel_with_metadata(address, signed)


def stubs_as(
    address: str, key: OKPKey, stub: Callable[[grpc.aio.Channel], Any], *default_scopes: str
) -> Callable[..., AbstractAsyncContextManager[Any]]:
    """`async with open_stub("alice") as service:` a stub whose calls carry alice's principal,
    with `default_scopes` unless others are given: `open_stub("staff", "x:admin")`."""

    @asynccontextmanager
    async def open_stub(subject: str, *scopes: str) -> AsyncIterator[Any]:
        async with channel_as(address, key, subject, *(scopes or default_scopes)) as channel:
            yield stub(channel)

    return open_stub
