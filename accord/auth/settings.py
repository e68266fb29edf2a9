"""AuthSettings: where keys come from and what a token must say, from ACCORD_GATEWAY_* variables.

In development (ACCORD_MODE=development: `make run`, the tests) the JWKS, the API keys and
the principal signing key default to files under ACCORD_HOME, created when missing, and the
gateway accepts the development tokens `accord token` mints. In production (the default)
nothing defaults: the gateway refuses to start without the issuer's keys
(ACCORD_GATEWAY_JWKS_URL or _JWKS_FILE) and its principal signing key, accepts no API key
without ACCORD_GATEWAY_API_KEYS_FILE, and never creates or trusts a development key it was
not pointed at.
"""

import ipaddress
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from accord import keys
from accord.settings import Mode

# What key each allowed algorithm needs: (kty, crv or None for any). Only public-key algorithms:
# the gateway verifies with keys it may publish, so HMAC (HS*) and `none` can never be allowed,
# and "HS256 with the RSA public key as the secret" has no way in.
KEY_TYPES: dict[str, tuple[str, frozenset[str] | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "PS256": ("RSA", None),
    "PS384": ("RSA", None),
    "PS512": ("RSA", None),
    "ES256": ("EC", frozenset({"P-256"})),
    "ES384": ("EC", frozenset({"P-384"})),
    "ES512": ("EC", frozenset({"P-521"})),
    "EdDSA": ("OKP", frozenset({"Ed25519", "Ed448"})),
    "Ed25519": ("OKP", frozenset({"Ed25519"})),
    "Ed448": ("OKP", frozenset({"Ed448"})),
}


class AuthSettings(BaseSettings):
    """Authentication and principal-header settings of the gateway."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_GATEWAY_", extra="ignore")

    home: Path = Field(default=Path(".accord"), validation_alias=AliasChoices("ACCORD_HOME"))
    mode: Mode = Field(
        default="production",
        validation_alias=AliasChoices("ACCORD_MODE", "mode"),
        description="development: keys default to files under home, created when missing.",
    )
    jwks_url: str | None = Field(
        default=None, description="Where the issuer publishes its JWKS; wins over jwks_file."
    )
    jwks_file: Path | None = Field(
        default=None, description="A JWKS on disk; in development, default: the one in home."
    )
    issuer: str = Field(default=keys.DEV_ISSUER, min_length=1, description="Required `iss`.")
    audience: str = Field(default=keys.DEV_AUDIENCE, min_length=1, description="Required in `aud`.")
    algorithms: Annotated[list[str], NoDecode] = Field(
        default=["RS256", "ES256", "EdDSA", "Ed25519"],
        description="Allowed JWS algorithms, comma-separated in the environment.",
    )
    leeway_seconds: int = Field(default=30, ge=0, le=300, description="Clock skew on exp/nbf.")
    max_lifetime_seconds: int = Field(
        default=24 * 3600, gt=0, description="Longest `exp - iat` a token may claim."
    )
    token_types: Annotated[list[str], NoDecode] = Field(
        default=["JWT", "at+jwt"],
        description="Accepted JOSE `typ` values, comma-separated in the environment.",
    )
    jwks_min_refresh_seconds: float = Field(
        default=30.0, ge=0, description="Least time between two JWKS reloads for unknown kids."
    )
    jwks_max_age_seconds: float = Field(
        default=600.0, gt=0, description="A JWKS older than this is reloaded on the next use."
    )
    jwks_timeout_seconds: float = Field(default=5.0, gt=0, description="JWKS fetch timeout.")
    api_keys_file: Path | None = Field(
        default=None, description="Hashed API keys; in development, default: in home."
    )
    principal_signing_key_file: Path | None = Field(
        default=None, description="Ed25519 private JWK for principal headers; dev: in home."
    )
    principal_ttl_seconds: int = Field(
        default=60, ge=10, le=3600, description="Lifetime of a principal header."
    )
    token_cache_size: int = Field(default=10_000, ge=0, description="Verified tokens kept.")
    token_cache_max_seconds: float = Field(
        default=300.0,
        ge=0,
        description="Longest a verified token is trusted without re-checking (key revocation).",
    )
    max_token_bytes: int = Field(default=8192, gt=0, description="Longer credentials refused.")

    @field_validator("algorithms", "token_types", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("algorithms")
    @classmethod
    def _public_key_algorithms_only(cls, value: list[str]) -> list[str]:
        refused = [name for name in value if name not in KEY_TYPES]
        if refused:
            raise ValueError(
                f"algorithms {refused} are not allowed; choose from {sorted(KEY_TYPES)}"
            )
        if not value:
            raise ValueError("at least one algorithm must be allowed")
        return value

    @field_validator("jwks_url")
    @classmethod
    def _https_unless_loopback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(parts.hostname)):
            return value
        raise ValueError("jwks_url must be https (plain http only on loopback)")

    @property
    def development(self) -> bool:
        return self.mode == "development"

    @model_validator(mode="after")
    def _defaults_under_home(self) -> "AuthSettings":
        if not self.development:
            return self  # production uses only what it is given
        if self.jwks_file is None:
            self.jwks_file = keys.dev_jwks_path(self.home)
        if self.api_keys_file is None:
            self.api_keys_file = keys.api_keys_path(self.home)
        if self.principal_signing_key_file is None:
            self.principal_signing_key_file = keys.principal_key_path(self.home)
        return self


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
