"""Who is calling: for API-key callers, the principal the edge verified, carried to services in
a signed header (bearer-token callers' tokens go on as they are, and services verify those
themselves: accord.enforcement).

Why a signed header, rather than a channel only the gateway can use (mTLS, a private network):
a signature is checked by the service itself, in-process, with nothing to provision beyond one
public key, and it holds on a laptop, in CI and in a cluster alike. A network rule is easy to
get wrong silently and says nothing about *which* caller it is.

The gateway signs a compact JWS (Ed25519, RFC 9864 `alg: Ed25519`) per principal and target
service, and sends it as `x-accord-principal`:

    {"iss": "accord-gateway", "aud": "acme.orders.v1.OrderService", "sub": "alice",
     "scope": ["orders:read"], "via": "jwt", "iat": ..., "exp": iat + 60, "jti": ...}

- Services hold only the gateway's PUBLIC key: they can check a principal, never mint one.
- `aud` is the service's full name, so a header captured at one service is refused by another.
- `exp` is short (60 s), so a leaked header is soon worthless. The gateway reuses a header for
  about half its life (signing is then not per call), and a service caches what it verified.
- The gateway strips every client-supplied identity header (`IDENTITY_HEADERS` in
  `accord.auth`) before adding its own, so a client cannot smuggle one through.

A service reads the caller with `PrincipalVerifier.from_settings(SERVICE_NAME).principal_of(
context)`: None when the call carries no principal header (a call that did not come through the
gateway), a `Principal` when it verifies, and an `IdentityError` (UNAUTHENTICATED) otherwise.
"""

import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey
from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from accord.keys import PRINCIPAL_ALGORITHM, principal_public_key_path
from accord.rpc_status import RpcError, error_info
from accord.settings import Mode, production_needs

PRINCIPAL_HEADER = "x-accord-principal"
PRINCIPAL_ISSUER = "accord-gateway"
PRINCIPAL_TYPE = "accord-principal+jwt"

Metadata = Iterable[tuple[str, str | bytes]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Principal:
    """A verified caller: who (`subject`), what it may do (`scopes`), and how it proved it."""

    subject: str
    scopes: frozenset[str]
    via: str  # "jwt" or "api_key"


class IdentityError(RpcError):
    """A principal header that is present but cannot be trusted (UNAUTHENTICATED), or a service
    that cannot check one (UNAVAILABLE). Send it with `accord.rpc_status.abort`."""

    def __init__(
        self, reason: str, message: str, code: grpc.StatusCode = grpc.StatusCode.UNAUTHENTICATED
    ) -> None:
        super().__init__(code, message, error_info(reason))
        self.reason = reason


class IdentitySettings(BaseSettings):
    """Where a service finds the gateway's public key (ACCORD_IDENTITY_PUBLIC_KEY_FILE)."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_IDENTITY_", extra="ignore")

    home: Path = Field(default=Path(".accord"), validation_alias=AliasChoices("ACCORD_HOME"))
    mode: Mode = Field(default="production", validation_alias=AliasChoices("ACCORD_MODE", "mode"))
    public_key_file: Path | None = Field(
        default=None,
        description="The gateway's Ed25519 public JWK; in development, default under home.",
    )
    leeway_seconds: float = Field(default=5.0, ge=0, description="Clock skew allowed on exp.")

    @model_validator(mode="after")
    def _default_key_file(self) -> "IdentitySettings":
        if self.public_key_file is None:
            if self.mode != "development":
                raise production_needs(
                    "ACCORD_IDENTITY_PUBLIC_KEY_FILE",
                    "a service checks every caller with the gateway's public key",
                )
            self.public_key_file = principal_public_key_path(self.home)
        return self


def sign_principal(
    principal: Principal, audience: str, key: OKPKey, issued_at: int, ttl: int
) -> str:
    """The `x-accord-principal` value for `principal` calling the service named `audience`."""
    claims = {
        "iss": PRINCIPAL_ISSUER,
        "aud": audience,
        "sub": principal.subject,
        "scope": sorted(principal.scopes),
        "via": principal.via,
        "iat": issued_at,
        "exp": issued_at + ttl,
        "jti": uuid.uuid4().hex,
    }
    header = {"alg": PRINCIPAL_ALGORITHM, "kid": key.kid, "typ": PRINCIPAL_TYPE}
    payload = json.dumps(claims, separators=(",", ":"))
    return jws.serialize_compact(header, payload, key, [PRINCIPAL_ALGORITHM])


def verify_principal(
    metadata: Metadata,
    service_full_name: str,
    key: OKPKey,
    now: float | None = None,
    leeway: float = 5.0,
) -> Principal | None:
    """The principal in `metadata`, checked for signature, issuer, audience and expiry.

    None when there is no principal header; IdentityError when there is one and it fails.
    """
    token = _header_value(metadata)
    if token is None:
        return None
    return _verify_token(token, service_full_name, key, now, leeway)[0]


class PrincipalVerifier:
    """Verifies principal headers for one service, caching what it has verified.

    The key is read on first use, so a service may start before the gateway has created it.
    """

    max_cached = 1024

    def __init__(
        self,
        service_full_name: str,
        key: OKPKey | None = None,
        key_file: Path | None = None,
        leeway: float = 5.0,
        clock: Clock = time.time,
    ) -> None:
        if key is None and key_file is None:
            raise ValueError("give the gateway's public key or the file that holds it")
        self.service_full_name = service_full_name
        self._key = key
        self._key_file = key_file
        self._leeway = leeway
        self._clock = clock
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self.verifications = 0  # full signature checks; the tests read it

    @classmethod
    def from_settings(
        cls, service_full_name: str, settings: IdentitySettings | None = None
    ) -> "PrincipalVerifier":
        settings = settings if settings is not None else IdentitySettings()
        return cls(
            service_full_name, key_file=settings.public_key_file, leeway=settings.leeway_seconds
        )

    def verify(self, metadata: Metadata) -> Principal | None:
        token = _header_value(metadata)
        if token is None:
            return None
        now = self._clock()
        cached = self._cache.get(token)
        if cached is not None and now < cached[1] + self._leeway:
            self._cache.move_to_end(token)
            return cached[0]
        self.verifications += 1
        principal, expires = _verify_token(
            token, self.service_full_name, self._load_key(), now, self._leeway
        )
        self._cache[token] = (principal, expires)
        if len(self._cache) > self.max_cached:
            self._cache.popitem(last=False)
        return principal

    def principal_of(self, context: grpc.aio.ServicerContext[Any, Any]) -> Principal | None:
        """The caller of the RPC `context` belongs to; see the module docstring."""
        return self.verify(context.invocation_metadata() or ())

    def _load_key(self) -> OKPKey:
        if self._key is None:
            assert self._key_file is not None
            try:
                self._key = read_public_key(self._key_file)
            except (OSError, ValueError, JoseError) as error:
                raise IdentityError(
                    "PRINCIPAL_KEY_UNAVAILABLE",
                    "the service cannot check callers right now",
                    grpc.StatusCode.UNAVAILABLE,
                ) from error
        return self._key


def read_public_key(path: Path) -> OKPKey:
    """The gateway's public key from a JWK file (only ever the public half, even if handed
    a private file); OSError, ValueError or JoseError when it cannot be read."""
    data = json.loads(path.read_text())
    data.pop("d", None)
    return OKPKey.import_key(data)


def _header_value(metadata: Metadata) -> str | None:
    values = [value for name, value in metadata if name == PRINCIPAL_HEADER]
    if not values:
        return None
    if len(values) > 1:
        raise IdentityError("PRINCIPAL_MALFORMED", "more than one principal header")
    value = values[0]
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _verify_token(
    token: str, audience: str, key: OKPKey, now: float | None, leeway: float
) -> tuple[Principal, float]:
    try:
        signed = jws.deserialize_compact(token, key, [PRINCIPAL_ALGORITHM])
        claims = json.loads(signed.payload)
    except JoseError as error:
        reason = (
            "PRINCIPAL_BAD_SIGNATURE" if error.error == "bad_signature" else "PRINCIPAL_MALFORMED"
        )
        raise IdentityError(reason, "the principal header does not verify") from error
    except ValueError as error:
        raise IdentityError("PRINCIPAL_MALFORMED", "the principal header is malformed") from error
    if not isinstance(claims, dict):
        raise IdentityError("PRINCIPAL_MALFORMED", "the principal header is malformed")
    now = time.time() if now is None else now
    if claims.get("iss") != PRINCIPAL_ISSUER:
        raise IdentityError("PRINCIPAL_BAD_ISSUER", "the principal header has the wrong issuer")
    if claims.get("aud") != audience:
        raise IdentityError(
            "PRINCIPAL_WRONG_AUDIENCE", "the principal header is for another service"
        )
    expires, subject, scopes, via = (claims.get(k) for k in ("exp", "sub", "scope", "via"))
    if (
        not isinstance(expires, int | float)
        or isinstance(expires, bool)
        or not isinstance(subject, str)
        or not subject
        or not isinstance(scopes, list)
        or not all(isinstance(scope, str) for scope in scopes)
        or not isinstance(via, str)
    ):
        raise IdentityError("PRINCIPAL_MALFORMED", "the principal header is malformed")
    if expires <= now - leeway:
        raise IdentityError("PRINCIPAL_EXPIRED", "the principal header has expired")
    return Principal(subject, frozenset(scopes), via), float(expires)


__all__ = [
    "PRINCIPAL_HEADER",
    "PRINCIPAL_ISSUER",
    "IdentityError",
    "IdentitySettings",
    "Principal",
    "PrincipalVerifier",
    "read_public_key",
    "sign_principal",
    "verify_principal",
]
