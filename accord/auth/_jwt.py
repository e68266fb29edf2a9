"""Bearer JWT verification with joserfc: algorithm allow-list, key type, signature, claims.

The checks run in a fixed order, so a token with several faults always gets the same reason:
shape, algorithm, key, signature, then exp, nbf, iat, iss, aud, sub and scopes.
"""

import json
import time
from collections.abc import Callable, Collection
from typing import Any

from joserfc import jws
from joserfc.errors import (
    ClaimError,
    ExpiredTokenError,
    JoseError,
)
from joserfc.jwk import Key
from joserfc.jwt import JWTClaimsRegistry

from accord.auth._errors import (
    ALGORITHM_NOT_ALLOWED,
    BAD_AUDIENCE,
    BAD_ISSUER,
    BAD_SIGNATURE,
    BAD_TOKEN_TYPE,
    MALFORMED_TOKEN,
    MISSING_CLAIM,
    TOKEN_EXPIRED,
    TOKEN_LIFETIME_TOO_LONG,
    TOKEN_NOT_YET_VALID,
    UNKNOWN_KEY_ID,
    unauthenticated,
)
from accord.auth._jwks import Jwks
from accord.auth.settings import KEY_TYPES
from accord.identity import Principal

_CLAIM_ORDER = ("exp", "nbf", "iat", "iss", "aud", "sub")
_MISSING_REASON = {
    "exp": MISSING_CLAIM,
    "iss": BAD_ISSUER,
    "aud": BAD_AUDIENCE,
    "sub": MISSING_CLAIM,
}
_INVALID_REASON = {
    "nbf": TOKEN_NOT_YET_VALID,
    "iat": TOKEN_NOT_YET_VALID,
    "iss": BAD_ISSUER,
    "aud": BAD_AUDIENCE,
}


class JwtVerifier:
    """Checks one bearer token against the issuer's keys and the expected iss and aud."""

    def __init__(
        self,
        jwks: Jwks,
        issuer: str,
        audience: str,
        algorithms: Collection[str],
        leeway: int = 30,
        clock: Callable[[], float] = time.time,
        token_types: Collection[str] | None = None,
        max_lifetime: float | None = None,
    ) -> None:
        unknown = set(algorithms) - KEY_TYPES.keys()
        if unknown:
            raise ValueError(f"algorithms not allowed: {sorted(unknown)}")
        self._jwks = jwks
        self._issuer = issuer
        self._audience = audience
        self._algorithms = frozenset(algorithms)
        self._leeway = leeway
        self._clock = clock
        # None: any `typ` (and none); else the token's must be one of these.
        self._token_types = frozenset(token_types) if token_types is not None else None
        self._max_lifetime = max_lifetime
        # Lenient about unknown header fields (issuers add their own), strict about `crit`.
        self._registry = jws.JWSRegistry(algorithms=list(algorithms), strict_check_header=False)

    async def verify(self, token: str) -> tuple[Principal, float]:
        """The principal the token names and when it expires; AuthFailure when it fails."""
        try:
            signed = jws.extract_compact(token.encode("ascii"), registry=self._registry)
        except (JoseError, ValueError) as error:
            raise unauthenticated(MALFORMED_TOKEN, "the bearer token is not a JWT") from error
        header = signed.headers()
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise unauthenticated(
                ALGORITHM_NOT_ALLOWED,
                "the token's signing algorithm is not accepted",
                allowed=",".join(sorted(self._algorithms)),
            )
        if self._token_types is not None and header.get("typ") not in self._token_types:
            raise unauthenticated(
                BAD_TOKEN_TYPE,
                "the token's `typ` is not accepted",
                allowed=",".join(sorted(self._token_types)),
            )
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise unauthenticated(MALFORMED_TOKEN, "the token's kid is not a string")
        usable = [key for key in await self._jwks.keys_for(kid) if _fits(key, algorithm)]
        if kid is not None and not usable:
            # The kid names a key of another type: the algorithm-confusion trick.
            raise unauthenticated(
                ALGORITHM_NOT_ALLOWED, "the token's algorithm does not match its signing key"
            )
        if len(usable) != 1:
            raise unauthenticated(UNKNOWN_KEY_ID, "the token names no usable signing key")
        try:
            valid = jws.validate_compact(signed, usable[0], registry=self._registry)
        except JoseError as error:
            raise unauthenticated(BAD_SIGNATURE, "the token's signature does not verify") from error
        if not valid:
            raise unauthenticated(BAD_SIGNATURE, "the token's signature does not verify")
        return self._principal(_claims(signed.payload))

    def _principal(self, claims: dict[str, Any]) -> tuple[Principal, float]:
        for name in _CLAIM_ORDER:
            if name in _MISSING_REASON and claims.get(name) is None:
                raise unauthenticated(
                    _MISSING_REASON[name], f"the token has no `{name}` claim", claim=name
                )
        registry = JWTClaimsRegistry(
            now=int(self._clock()),
            leeway=self._leeway,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._audience},
        )
        try:
            registry.validate({name: claims[name] for name in _CLAIM_ORDER if name in claims})
        except ExpiredTokenError as error:
            raise unauthenticated(TOKEN_EXPIRED, "the token has expired") from error
        except ClaimError as error:
            reason = _INVALID_REASON.get(error.claim, MALFORMED_TOKEN)
            message = {
                TOKEN_NOT_YET_VALID: "the token is not valid yet",
                BAD_ISSUER: "the token comes from an issuer this gateway does not trust",
                BAD_AUDIENCE: "the token is meant for another audience",
            }.get(reason, f"the token's `{error.claim}` claim is invalid")
            raise unauthenticated(reason, message, claim=error.claim) from error
        lifetime = _lifetime(claims)
        if self._max_lifetime is not None and (lifetime is None or lifetime > self._max_lifetime):
            raise unauthenticated(
                TOKEN_LIFETIME_TOO_LONG, "the token's lifetime is longer than allowed"
            )
        if not claims["sub"]:
            raise unauthenticated(MISSING_CLAIM, "the token has an empty `sub`", claim="sub")
        return Principal(claims["sub"], _scopes(claims), "jwt"), float(claims["exp"])


def _lifetime(claims: dict[str, Any]) -> float | None:
    """`exp - iat` (`exp - nbf` without `iat`); None when neither start is a number."""
    start = claims.get("iat", claims.get("nbf"))
    if not isinstance(start, int | float) or isinstance(start, bool):
        return None
    return float(claims["exp"]) - float(start)


def _fits(key: Key, algorithm: str) -> bool:
    """Whether `key` may verify `algorithm`: its type and curve, and its own `alg` if it has one."""
    kty, curves = KEY_TYPES[algorithm]
    if key.key_type != kty:
        return False
    if curves is not None and getattr(key, "curve_name", None) not in curves:
        return False
    declared = key.get("alg")
    return declared is None or declared == algorithm


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except ValueError as error:
        raise unauthenticated(MALFORMED_TOKEN, "the token's claims are not JSON") from error
    if not isinstance(claims, dict):
        raise unauthenticated(MALFORMED_TOKEN, "the token's claims are not a JSON object")
    return claims


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """Scopes from OAuth's space-separated `scope` and from `scp` (a list, or a string)."""
    scopes: set[str] = set()
    for name in ("scope", "scp"):
        value = claims.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            scopes.update(value.split())
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            scopes.update(value)
        else:
            raise unauthenticated(
                MALFORMED_TOKEN, f"the token's `{name}` claim is not a scope list", claim=name
            )
    return frozenset(scopes)
