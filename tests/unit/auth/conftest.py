"""Keys, a settable clock and token builders for the auth tests."""

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, Key, OKPKey, RSAKey

from accord.auth import Authenticator
from accord.auth._jwks import Jwks
from accord.auth._jwt import JwtVerifier

ISSUER = "https://issuer.test"
AUDIENCE = "accord-gateway-test"
NOW = 1_800_000_000.0

TokenFactory = Callable[..., str]


class Clock:
    """Time that moves only when a test says so."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def keys() -> dict[str, Key]:
    """One key of each kind the default allow-list admits, plus a stranger nobody trusts."""
    return {
        "es-1": ECKey.generate_key("P-256", parameters={"kid": "es-1"}),
        "rsa-1": RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}),
        "ed-1": OKPKey.generate_key("Ed25519", parameters={"kid": "ed-1"}),
        "stranger": ECKey.generate_key("P-256", parameters={"kid": "es-1"}),
    }


def write_jwks(path: Path, *trusted: Key) -> Path:
    path.write_text(json.dumps({"keys": [key.as_dict(private=False) for key in trusted]}))
    return path


@pytest.fixture
def jwks_file(tmp_path: Path, keys: dict[str, Key]) -> Path:
    return write_jwks(tmp_path / "jwks.json", keys["es-1"], keys["rsa-1"], keys["ed-1"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims at NOW; an override of None drops the claim."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "scope": "orders:read orders:write",
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


@pytest.fixture
def token(keys: dict[str, Key]) -> TokenFactory:
    """token(alg="ES256", key="es-1", **claim_overrides) signs with joserfc."""

    def make(alg: str = "ES256", key: str = "es-1", **overrides: Any) -> str:
        signing = keys[key]
        header = {"alg": alg, "kid": signing.kid}
        return jwt.encode(header, claims(**overrides), signing, [alg])

    return make


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64(json.dumps(value).encode())


def make_authenticator(jwks: Jwks, clock: Clock, **options: Any) -> Authenticator:
    verifier = JwtVerifier(
        jwks, ISSUER, AUDIENCE, ["RS256", "ES256", "EdDSA", "Ed25519"], leeway=30, clock=clock
    )
    return Authenticator(verifier, None, clock=clock, leeway=30, **options)


@pytest.fixture
def authenticator(jwks_file: Path, clock: Clock) -> Authenticator:
    return make_authenticator(Jwks.from_file(jwks_file, clock=clock), clock)


def bearer(value: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {value}"),)
