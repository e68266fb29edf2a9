"""PrincipalSigner: the gateway's side of the principal header (see `accord.identity`).

Headers are cached per (principal, service) and reused for the first half of their lifetime,
so the Ed25519 signature is made once per caller, service and half-minute, not per call; the
second half leaves every reused header at least `ttl / 2` to reach and be checked by a service.
"""

import json
import time
from collections import OrderedDict
from collections.abc import Callable

from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from accord.auth.settings import AuthSettings
from accord.identity import PRINCIPAL_HEADER, Principal, sign_principal
from accord.settings import ConfigurationError, production_needs

# Headers a client must never set: the gateway strips them from every incoming call and adds
# its own signed principal. Beside ours, the names other proxies use for a verified user, so
# that no backend library that trusts one of them can be fooled through the gateway.
IDENTITY_HEADERS = frozenset(
    {
        PRINCIPAL_HEADER,
        "x-accord-subject",
        "x-accord-scopes",
        "x-forwarded-user",
        "x-forwarded-email",
        "x-forwarded-preferred-username",
        "x-forwarded-groups",
        "x-auth-request-user",
        "x-auth-request-email",
        "x-remote-user",
        "x-user",
        "x-user-id",
        "x-authenticated-user",
        "x-authenticated-userid",
        "x-principal",
        "remote-user",
    }
)


class PrincipalSigner:
    """Signs the principal header for calls the gateway forwards."""

    def __init__(
        self,
        key: OKPKey,
        ttl: int = 60,
        max_cached: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not key.is_private:
            raise ValueError("the principal signing key must be a private key")
        self._key = key
        self._ttl = ttl
        self._max_cached = max_cached
        self._clock = clock
        self._cache: OrderedDict[tuple[Principal, str], tuple[tuple[str, str], float]] = (
            OrderedDict()
        )
        self.signatures = 0  # headers signed (cache misses); the tests read it

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> "PrincipalSigner":
        """The key from principal_signing_key_file (in development the one under home, which
        the developer's tools made). ConfigurationError when there is none, or it cannot be
        read."""
        path = settings.principal_signing_key_file
        if path is None:
            raise production_needs(
                "ACCORD_GATEWAY_PRINCIPAL_SIGNING_KEY_FILE",
                "the gateway signs every caller's principal for the services with its own key",
            )
        try:
            key = OKPKey.import_key(json.loads(path.read_text()))
        except (OSError, ValueError, JoseError) as error:
            made_by = " (`make run` makes it in development)" if settings.development else ""
            raise ConfigurationError(
                f"cannot read ACCORD_GATEWAY_PRINCIPAL_SIGNING_KEY_FILE {path}{made_by}: {error}"
            ) from error
        return cls(key, ttl=settings.principal_ttl_seconds)

    def headers(self, principal: Principal, service_full_name: str) -> list[tuple[str, str]]:
        """The metadata to add to a call `principal` makes to `service_full_name`."""
        return [self.header(principal, service_full_name)]

    def header(self, principal: Principal, service_full_name: str) -> tuple[str, str]:
        """The one header `headers` returns, as the same tuple for as long as it is reused."""
        now = self._clock()
        entry = (principal, service_full_name)
        cached = self._cache.get(entry)
        if cached is not None and now < cached[1]:
            self._cache.move_to_end(entry)
            return cached[0]
        issued_at = int(now)
        token = sign_principal(principal, service_full_name, self._key, issued_at, self._ttl)
        self.signatures += 1
        header = (PRINCIPAL_HEADER, token)
        self._cache[entry] = (header, issued_at + self._ttl / 2)
        self._cache.move_to_end(entry)
        if len(self._cache) > self._max_cached:
            self._cache.popitem(last=False)
        return header
