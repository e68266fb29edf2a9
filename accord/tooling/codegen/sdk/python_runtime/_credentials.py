"""Who the caller is: a bearer token (fixed, or a callable that refreshes it) or an API key.

Credentials become call metadata, computed for every attempt, so a refreshed token takes
effect on the next call (and on a retry) without rebuilding the client.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Protocol

Metadata = tuple[tuple[str, str], ...]
TokenSource = str | Callable[[], str] | Callable[[], Awaitable[str]]


class Credentials(Protocol):
    """What a connection asks of credentials: metadata for one call, or `fixed` metadata
    that never changes (then the connection computes nothing per call)."""

    @property
    def fixed(self) -> Metadata | None: ...

    async def metadata(self) -> Metadata: ...


class BearerToken:
    """`authorization: Bearer <token>`; `token` is the token itself or a callable returning the
    current one (sync, or async for the async clients), called before every attempt."""

    def __init__(self, token: TokenSource) -> None:
        if isinstance(token, str) and not token:
            raise ValueError("the bearer token is empty")
        self._token = token
        self._fixed: Metadata | None = (
            (("authorization", f"Bearer {token}"),) if isinstance(token, str) else None
        )

    @property
    def fixed(self) -> Metadata | None:
        return self._fixed

    async def metadata(self) -> Metadata:
        token = self._token
        if callable(token):
            value = token()
            token = await value if inspect.isawaitable(value) else value
        return (("authorization", f"Bearer {_checked(token)}"),)



class ApiKey:
    """`x-api-key: <key>`, for programs and services that hold a key instead of a token."""

    def __init__(self, key: str) -> None:
        if not key:
            raise ValueError("the API key is empty")
        self._metadata: Metadata = (("x-api-key", key),)

    @property
    def fixed(self) -> Metadata | None:
        return self._metadata

    async def metadata(self) -> Metadata:
        return self._metadata



def _checked(token: object) -> str:
    if not isinstance(token, str) or not token:
        raise ValueError("the token callable returned no token")
    return token
