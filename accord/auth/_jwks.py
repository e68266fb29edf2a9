"""The issuer's public keys (a JWKS), from a file or a URL, cached and refreshed.

A token naming a `kid` we do not know usually means the issuer rotated its keys, so the set is
reloaded then, but at most once per `min_refresh` seconds: a stream of tokens with made-up kids
must not turn the gateway into a JWKS fetcher. The set is also reloaded when older than
`max_age`, so a withdrawn key stops working. Loads run in a worker thread (file or HTTP), so the
event loop never blocks, and one load serves every call waiting for it.

A load that fails keeps nothing (fail closed, and the log says why): a file that cannot be
read or parsed, or a document that is not a JWKS, leaves no key trusted until a load
succeeds, so a key withdrawn in the same edit as a typo is withdrawn. Only an issuer URL
that cannot be reached keeps the set it served, and only while that set is younger than
`max_age`: an outage of the issuer does not lock every caller out at once.
"""

import asyncio
import json
import logging
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key

from accord.auth._errors import KEYS_UNAVAILABLE, UNKNOWN_KEY_ID, AuthFailure, unauthenticated

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 1 << 20
Loader = Callable[[], Awaitable[Any]]


class Jwks:
    """A cached key set; `keys_for(kid)` answers from memory except on a miss or when stale."""

    def __init__(
        self,
        load: Loader,
        source: str,
        min_refresh: float = 30.0,
        max_age: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.source = source  # for logs only; never sent to callers
        self._min_refresh = min_refresh
        self._max_age = max_age
        self._clock = clock
        self._keys: dict[str, Key] = {}
        self._unnamed: list[Key] = []
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._attempts = 0
        self._lock = asyncio.Lock()
        self.loads = 0  # completed loads; the tests read it

    @classmethod
    def from_file(cls, path: Path, **options: Any) -> "Jwks":
        async def load() -> Any:
            try:
                return json.loads(await asyncio.to_thread(path.read_bytes))
            except OSError as error:  # a file that cannot be read is not "unreachable"
                raise ValueError(f"cannot read {path}: {error}") from error

        return cls(load, str(path), **options)

    @classmethod
    def from_url(cls, url: str, timeout: float = 5.0, **options: Any) -> "Jwks":
        async def load() -> Any:
            return json.loads(await asyncio.to_thread(_fetch, url, timeout))

        return cls(load, url, **options)

    async def keys_for(self, kid: str | None) -> list[Key]:
        """The keys a token with this `kid` may be signed with (all keys when it names none)."""
        if self._loaded_at is None or self._clock() - self._loaded_at >= self._max_age:
            await self._refresh()
        found = self._lookup(kid)
        if not found and kid is not None:
            await self._refresh()
            found = self._lookup(kid)
        if not found:
            raise unauthenticated(UNKNOWN_KEY_ID, "the token's signing key is not known")
        return found

    def _lookup(self, kid: str | None) -> list[Key]:
        if kid is None:
            return [*self._keys.values(), *self._unnamed]
        key = self._keys.get(kid)
        return [key] if key is not None else []

    async def _refresh(self) -> None:
        """Load the set, unless another call just did or the last attempt was too recent."""
        attempts = self._attempts
        async with self._lock:
            now = self._clock()
            attempted = self._attempted_at
            if self._attempts == attempts and (
                attempted is None or now - attempted >= self._min_refresh
            ):
                self._attempted_at = now
                try:
                    self._install(await self._load())
                    self._loaded_at = now
                    self.loads += 1
                except OSError as error:
                    # The issuer cannot be reached: keep a set that is not stale yet.
                    log.error("cannot reach the JWKS at %s: %s", self.source, error)
                    if self._loaded_at is not None and now - self._loaded_at >= self._max_age:
                        self._forget()
                except (ValueError, TypeError, KeyError, JoseError) as error:
                    log.error(
                        "cannot load the JWKS from %s (%s): no token is accepted until it is fixed",
                        self.source,
                        error,
                    )
                    self._forget()
                finally:
                    self._attempts += 1  # callers that queued behind this load use its result
        if self._loaded_at is None:
            raise AuthFailure(
                grpc.StatusCode.UNAVAILABLE,
                KEYS_UNAVAILABLE,
                "the gateway cannot check tokens right now; try again later",
            )

    def _forget(self) -> None:
        self._keys, self._unnamed, self._loaded_at = {}, [], None

    def _install(self, document: Any) -> None:
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWKS: no `keys` list")
        named: dict[str, Key] = {}
        unnamed: list[Key] = []
        for entry in document["keys"]:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                key = JWKRegistry.import_key(entry)
            except (JoseError, ValueError, TypeError) as error:
                # One odd key (a new type, say) must not take the whole set down with it.
                log.warning("skipping a key of the JWKS from %s: %s", self.source, error)
                continue
            kid = entry.get("kid")
            if isinstance(kid, str) and kid:
                named[kid] = key
            else:
                unnamed.append(key)
        self._keys, self._unnamed = named, unnamed


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    # Only https, or http on loopback, gets here: AuthSettings checks the URL.
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body: bytes = response.read(MAX_JWKS_BYTES + 1)
    if len(body) > MAX_JWKS_BYTES:
        raise ValueError(f"JWKS larger than {MAX_JWKS_BYTES} bytes")
    return body
