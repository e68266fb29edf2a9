"""Calls that carry a principal signed like the gateway signs it, for testing services alone."""

import time
from pathlib import Path

import grpc
from joserfc.jwk import OKPKey

from accord import devkeys
from accord.call_metadata import channel_with_metadata
from accord.identity import PRINCIPAL_HEADER, Principal, sign_principal


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
