"""Authenticator: credentials in request metadata → a verified Principal, or an AuthFailure.

Verifying a JWT costs tens of microseconds of CPU (a signature check, JSON, claims), which is a
good share of what a Python proxy spends on a call. Clients send the same token for many calls,
so verified tokens are cached by their exact string (bounded LRU) until the token expires, or
for at most `token_cache_max_seconds`, whichever is sooner; the cap bounds how long a key removed
from the JWKS keeps working. Failures are not cached: they are cheap to re-raise and rare.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from accord.auth._api_keys import ApiKeyStore
from accord.auth._errors import AMBIGUOUS_CREDENTIALS, MALFORMED_TOKEN, unauthenticated
from accord.auth._jwks import Jwks
from accord.auth._jwt import JwtVerifier
from accord.auth.settings import AuthSettings
from accord.identity import Principal
from accord.settings import ConfigurationError, production_needs

log = logging.getLogger(__name__)

Metadata = Sequence[tuple[str, str | bytes]]

AUTHORIZATION = "authorization"
API_KEY = "x-api-key"
# Credentials the client presents to the gateway; the proxy should not pass them on, so a
# backend never holds a token it could replay elsewhere.
CREDENTIAL_HEADERS = frozenset({AUTHORIZATION, API_KEY})
_BEARER = ("Bearer ", "bearer ")


class Authenticator:
    """Reads `authorization: Bearer <jwt>` or `x-api-key`; at most one credential per call."""

    def __init__(
        self,
        jwt: JwtVerifier | None,
        api_keys: ApiKeyStore | None,
        cache_size: int = 10_000,
        cache_max_seconds: float = 300.0,
        max_token_bytes: int = 8192,
        leeway: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._jwt = jwt
        self._api_keys = api_keys
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size
        self._cache_max_seconds = cache_max_seconds
        self._max_token_bytes = max_token_bytes
        self._leeway = leeway
        self._clock = clock
        self.verifications = 0  # full JWT verifications (cache misses); the tests read it

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> "Authenticator":
        """Keys from jwks_url, else jwks_file (in development the JWKS under home, which the
        developer's tools made). ConfigurationError when there is neither (accord.settings)."""
        options = {
            "min_refresh": settings.jwks_min_refresh_seconds,
            "max_age": settings.jwks_max_age_seconds,
        }
        if settings.jwks_url is not None:
            jwks = Jwks.from_url(settings.jwks_url, settings.jwks_timeout_seconds, **options)
        elif settings.jwks_file is not None:
            if not settings.jwks_file.exists():
                made_by = "; `make run` or `accord token` makes it" if settings.development else ""
                raise ConfigurationError(
                    f"ACCORD_GATEWAY_JWKS_FILE {settings.jwks_file} does not exist{made_by}"
                )
            jwks = Jwks.from_file(settings.jwks_file, **options)
        else:
            raise production_needs(
                "ACCORD_GATEWAY_JWKS_URL or ACCORD_GATEWAY_JWKS_FILE",
                "the gateway checks tokens with the issuer's public keys",
            )
        verifier = JwtVerifier(
            jwks,
            settings.issuer,
            settings.audience,
            settings.algorithms,
            leeway=settings.leeway_seconds,
            token_types=settings.token_types,
            max_lifetime=settings.max_lifetime_seconds,
        )
        api_keys = None
        if settings.api_keys_file is not None:
            api_keys = ApiKeyStore(settings.api_keys_file)
        else:
            log.warning("no ACCORD_GATEWAY_API_KEYS_FILE: API keys are not accepted")
        return cls(
            verifier,
            api_keys,
            cache_size=settings.token_cache_size,
            cache_max_seconds=settings.token_cache_max_seconds,
            max_token_bytes=settings.max_token_bytes,
            leeway=settings.leeway_seconds,
        )

    async def authenticate(self, metadata: Metadata) -> Principal | None:
        """The caller, None when the call carries no credentials, AuthFailure when they fail."""
        bearer: list[str | bytes] = []
        api_keys: list[str | bytes] = []
        for name, value in metadata:
            name = name.lower()
            if name == AUTHORIZATION:
                bearer.append(value)
            elif name == API_KEY:
                api_keys.append(value)
        return await self.authenticate_credentials(bearer, api_keys)

    async def authenticate_credentials(
        self, bearer: Sequence[str | bytes], api_keys: Sequence[str | bytes]
    ) -> Principal | None:
        """`authenticate` for a caller that has already picked the credential headers out of the
        metadata (the proxy does, in its one pass over it): every `authorization` and
        `x-api-key` value, in order."""
        if not bearer and not api_keys:
            return None
        if len(bearer) + len(api_keys) > 1:
            raise unauthenticated(
                AMBIGUOUS_CREDENTIALS, "send one credential: a bearer token or an API key"
            )
        if bearer:
            return await self._bearer(self._text(bearer[0]))
        return self._api_key(self._text(api_keys[0]))

    def cached(self, authorization: str) -> Principal | None:
        """The principal of a lone `authorization: Bearer <token>` header whose token is verified
        and cached, without a coroutine; None means "not known here": call `authenticate`.

        Only the exact form `Bearer <token>` (or `bearer <token>`) is looked up; any other
        spelling goes the long way, which parses it. A cached token passed the length check when
        it was verified, and this header is no longer than that one was."""
        if not authorization.startswith(_BEARER):
            return None
        token = authorization[7:]
        cached = self._cache.get(token)
        if cached is None or self._clock() >= cached[1]:
            return None
        self._cache.move_to_end(token)
        return cached[0]

    def _text(self, value: str | bytes) -> str:
        if len(value) > self._max_token_bytes:
            raise unauthenticated(MALFORMED_TOKEN, "the credential is too long")
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        return value.strip()

    async def _bearer(self, header: str) -> Principal:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise unauthenticated(MALFORMED_TOKEN, "authorization must be `Bearer <token>`")
        if self._jwt is None:
            raise unauthenticated(MALFORMED_TOKEN, "bearer tokens are not accepted here")
        now = self._clock()
        cached = self._cache.get(token)
        if cached is not None:
            if now < cached[1]:
                self._cache.move_to_end(token)
                return cached[0]
            del self._cache[token]
        self.verifications += 1
        principal, expires = await self._jwt.verify(token)
        if self._cache_size > 0:
            # Trusted until exp (+ the leeway verification allows) or the cap, whichever first.
            until = min(expires + self._leeway, now + self._cache_max_seconds)
            self._cache[token] = (principal, until)
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return principal

    def _api_key(self, api_key: str) -> Principal:
        if self._api_keys is None:
            raise unauthenticated(MALFORMED_TOKEN, "API keys are not accepted here")
        return self._api_keys.authenticate(api_key)
