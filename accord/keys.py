"""Where key material lives under ACCORD_HOME, and the formats the runtime reads.

The runtime only reads keys: in production the ones its settings name, in development the
ones the developer's tools made beforehand (`accord.tooling.devkeys`, which `make run`, the
tests and `accord token` call). Nothing here creates a key.

Layout under ACCORD_HOME (default `.accord/`, ignored by git):

    keys/dev-signing.jwk      ES256 private key that signs development tokens (0600)
    keys/jwks.json            its public half, as the JWKS the gateway reads
    keys/principal.jwk        Ed25519 private key the gateway signs principal headers with (0600)
    keys/principal.pub.jwk    its public half, which services verify with
    api_keys.json             API keys, stored only as SHA-256 hashes (0600)
    keys/services/<name>.key  a service's own API key, to call others through the gateway (0600)
"""

import hashlib
from pathlib import Path

DEV_ISSUER = "accord-dev"
DEV_AUDIENCE = "accord-gateway"
DEV_ALGORITHM = "ES256"
PRINCIPAL_ALGORITHM = "Ed25519"
API_KEY_PREFIX = "ak"
# The subjects of services calling others begin with it (accord.gateway_client).
SERVICE_SUBJECT_PREFIX = "svc-"

KEYS_DIR = "keys"
DEV_SIGNING_KEY = "dev-signing.jwk"
DEV_JWKS = "jwks.json"
PRINCIPAL_KEY = "principal.jwk"
PRINCIPAL_PUBLIC_KEY = "principal.pub.jwk"
API_KEYS = "api_keys.json"


def dev_jwks_path(home: Path) -> Path:
    return home / KEYS_DIR / DEV_JWKS


def dev_signing_key_path(home: Path) -> Path:
    return home / KEYS_DIR / DEV_SIGNING_KEY


def principal_key_path(home: Path) -> Path:
    return home / KEYS_DIR / PRINCIPAL_KEY


def principal_public_key_path(home: Path) -> Path:
    return home / KEYS_DIR / PRINCIPAL_PUBLIC_KEY


def api_keys_path(home: Path) -> Path:
    return home / API_KEYS


def service_key_path(home: Path, service: str) -> Path:
    """Where a service finds its own development API key."""
    return home / KEYS_DIR / "services" / f"{service}.key"


def service_subject(service: str) -> str:
    """The principal a service calls others as: `svc-<name>`, never a customer id in use."""
    return f"{SERVICE_SUBJECT_PREFIX}{service}"


def api_key_digest(api_key: str) -> str:
    """The hex SHA-256 stored for an API key.

    A fast hash is enough here (unlike for passwords): the secret is 256 random bits, so there
    is nothing to guess from a leaked digest. The whole key is hashed, so the id is bound too.
    """
    return hashlib.sha256(api_key.encode()).hexdigest()


def parse_api_key(api_key: str) -> str | None:
    """The id of a well-formed `ak_<id>_<secret>` key, else None."""
    prefix, _, rest = api_key.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != API_KEY_PREFIX or not key_id or not secret or not key_id.isalnum():
        return None
    return key_id
