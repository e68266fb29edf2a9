"""Calls that carry a principal signed like the gateway signs it, for testing services alone."""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
from joserfc.jwk import OKPKey

from accord import devkeys
from accord.identity import PRINCIPAL_HEADER, Principal, sign_principal


def principal_key(home: Path) -> OKPKey:
    """The gateway's signing key under `home`, created on first use."""
    return devkeys.ensure_principal_key(home)


class _SignsPrincipal:
    """Adds `x-accord-principal` for the called service, as the gateway would."""

    def __init__(self, key: OKPKey, principal: Principal) -> None:
        self._key = key
        self._principal = principal

    def _with_principal(self, details: Any) -> Any:
        service = details.method.decode().strip("/").split("/")[0]
        header = sign_principal(self._principal, service, self._key, int(time.time()), 60)
        metadata = [*(details.metadata or ()), (PRINCIPAL_HEADER, header)]
        return details._replace(metadata=metadata)


# grpc.aio files an interceptor under the first of its kinds only: one class per kind.
class _Unary(_SignsPrincipal, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._with_principal(details), request)


class _ServerStreaming(_SignsPrincipal, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], details: Any, request: Any
    ) -> Any:
        return await continuation(self._with_principal(details), request)


def channel_as(address: str, key: OKPKey, subject: str, *scopes: str) -> grpc.aio.Channel:
    principal = Principal(subject=subject, scopes=frozenset(scopes), via="jwt")
    interceptors: list[grpc.aio.ClientInterceptor] = [
        _Unary(key, principal),
        _ServerStreaming(key, principal),
    ]
    return grpc.aio.insecure_channel(address, interceptors=interceptors)
