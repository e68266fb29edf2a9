"""Development key material under ACCORD_HOME, and the tools that use it.

Everything here is for a developer's machine: `make run` and `accord token` call it, and in
development mode (ACCORD_MODE=development) the gateway and the services fall back on it.
Production mode never calls it: a process there uses the keys it is given or refuses to
start (accord.settings).

Layout under ACCORD_HOME (default `.accord/`, ignored by git):

    keys/dev-signing.jwk      ES256 private key that signs development tokens (0600)
    keys/jwks.json            its public half, as the JWKS the gateway reads
    keys/principal.jwk        Ed25519 private key the gateway signs principal headers with (0600)
    keys/principal.pub.jwk    its public half, which services verify with
    api_keys.json             API keys, stored only as SHA-256 hashes (0600)
    keys/services/<name>.key  a service's own API key, to call others through the gateway (0600)

Keys are created on first use. Two processes racing to create one end up sharing the first
writer's key: the file appears atomically (hard link of a complete temporary file) or not at
all, and the loser reads the winner's.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from accord.settings import CommonSettings, ConfigurationError

DEV_ISSUER = "accord-dev"
DEV_AUDIENCE = "accord-gateway"
DEV_ALGORITHM = "ES256"
PRINCIPAL_ALGORITHM = "Ed25519"
API_KEY_PREFIX = "ak"

KEYS_DIR = "keys"
DEV_SIGNING_KEY = "dev-signing.jwk"
DEV_JWKS = "jwks.json"
PRINCIPAL_KEY = "principal.jwk"
PRINCIPAL_PUBLIC_KEY = "principal.pub.jwk"
API_KEYS = "api_keys.json"


def accord_home() -> Path:
    """ACCORD_HOME, or `.accord` in the working directory."""
    return CommonSettings().home


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


def ensure_dev_keys(home: Path | None = None) -> None:
    """Create every development key that is missing; `make run` calls this before starting."""
    home = home if home is not None else accord_home()
    ensure_dev_signing_key(home)
    ensure_principal_key(home)


def ensure_dev_signing_key(home: Path) -> ECKey:
    """The development token signing key, created on first use, with its JWKS beside it."""
    path = dev_signing_key_path(home)
    if not path.exists():
        key = ECKey.generate_key("P-256", auto_kid=True)
        _create_once(path, json.dumps(key.as_dict(private=True, alg=DEV_ALGORITHM)), 0o600)
    key = ECKey.import_key(json.loads(path.read_text()))
    jwks = path.parent / DEV_JWKS
    # Derived from the private key on every call, so a lost or stale JWKS heals itself.
    public = {"keys": [key.as_dict(private=False, alg=DEV_ALGORITHM, use="sig")]}
    if not jwks.exists() or json.loads(jwks.read_text()) != public:
        _replace(jwks, json.dumps(public, indent=2), 0o644)
    return key


def ensure_principal_key(home: Path) -> OKPKey:
    """The gateway's principal signing key, created on first use, with its public half."""
    path = principal_key_path(home)
    if not path.exists():
        key = OKPKey.generate_key("Ed25519", auto_kid=True)
        _create_once(path, json.dumps(key.as_dict(private=True, alg=PRINCIPAL_ALGORITHM)), 0o600)
    key = OKPKey.import_key(json.loads(path.read_text()))
    public_path = path.parent / PRINCIPAL_PUBLIC_KEY
    public = key.as_dict(private=False, alg=PRINCIPAL_ALGORITHM, use="sig")
    if not public_path.exists() or json.loads(public_path.read_text()) != public:
        _replace(public_path, json.dumps(public, indent=2), 0o644)
    return key


def mint_token(
    sub: str,
    scopes: Iterable[str],
    ttl: int = 3600,
    issuer: str = DEV_ISSUER,
    audience: str = DEV_AUDIENCE,
    home: Path | None = None,
    create: bool = True,
) -> str:
    """A development JWT that a gateway in development mode accepts.

    `create=False` (the `accord token` command outside development) signs only with a key
    that exists: ConfigurationError when there is none, instead of making one."""
    home = home if home is not None else accord_home()
    if not create and not dev_signing_key_path(home).exists():
        raise ConfigurationError(
            f"no development signing key under {home}: start the platform in development "
            "mode first (`make run`), or set ACCORD_MODE=development"
        )
    key = ensure_dev_signing_key(home)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": sub,
        "scope": " ".join(sorted(set(scopes))),
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode({"alg": DEV_ALGORITHM, "kid": key.kid}, claims, key, [DEV_ALGORITHM])


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


def create_api_key(
    owner: str, scopes: Iterable[str], path: Path | None = None, home: Path | None = None
) -> str:
    """Store the hash of a new API key for `owner`; return the plain key, which is not kept."""
    path = path if path is not None else api_keys_path(home if home is not None else accord_home())
    plain, entry = _new_api_key(owner, scopes)
    with _locked(path):
        document = _read_api_keys(path)
        document["keys"].append(entry)
        _replace(path, json.dumps(document, indent=2), 0o600)
    return plain


# The subjects of services calling others begin with it (accord.gateway_client).
SERVICE_SUBJECT_PREFIX = "svc-"


def service_subject(service: str) -> str:
    """The principal a service calls others as: `svc-<name>`, never a customer id in use."""
    return f"{SERVICE_SUBJECT_PREFIX}{service}"


def ensure_service_api_key(home: Path, service: str, scopes: Iterable[str]) -> str:
    """A service's development API key with exactly `scopes`, created on first use.

    `make run` starts services that call each other through the gateway (marketing asks
    notifications to send an email); each needs a credential of its own, as it would get
    from a secret store in production. The plain key is kept for the service only, under
    keys/services/ (0600); the gateway sees its hash in api_keys.json. A key whose scopes no
    longer match what the service asks for is replaced, and the old one revoked.
    """
    wanted = sorted(set(scopes))
    key_file = home / KEYS_DIR / "services" / f"{service}.key"
    path = api_keys_path(home)
    with _locked(path):
        document = _read_api_keys(path)
        if key_file.exists():
            plain = key_file.read_text().strip()
            key_id = parse_api_key(plain)
            digest = api_key_digest(plain)
            if any(
                entry.get("id") == key_id
                and entry.get("scopes") == wanted
                and entry.get("sha256") == digest
                for entry in document["keys"]
            ):
                return plain
            document["keys"] = [e for e in document["keys"] if e.get("id") != key_id]
        plain, entry = _new_api_key(service_subject(service), wanted)
        document["keys"].append(entry)
        _replace(key_file, plain + "\n", 0o600)
        _replace(path, json.dumps(document, indent=2), 0o600)
    return plain


def _new_api_key(owner: str, scopes: Iterable[str]) -> tuple[str, dict[str, Any]]:
    """A new plain key, and the entry that stores only its hash."""
    key_id = secrets.token_hex(8)
    plain = f"{API_KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    entry = {
        "id": key_id,
        "sha256": api_key_digest(plain),
        "scopes": sorted(set(scopes)),
        "owner": owner,
        "created": int(time.time()),
    }
    return plain, entry


def _read_api_keys(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {"keys": []}
    document: dict[str, Any] = json.loads(path.read_text())
    return document


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `path` while reading and rewriting it: services started
    together by `make run` add their keys at the same moment, and none may be lost."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = path.with_name(path.name + ".lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _create_once(path: Path, text: str, mode: int) -> None:
    """Write `path` only if it does not exist yet; a concurrent creator's file wins."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private keys live here
    temporary = _write_temporary(path, text, mode)
    try:
        os.link(temporary, path)  # atomic, and fails if another process got there first
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def _replace(path: Path, text: str, mode: int) -> None:
    """Write `path` atomically, so a reader never sees half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # private keys live here
    temporary = _write_temporary(path, text, mode)
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def _write_temporary(path: Path, text: str, mode: int) -> Path:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # The mode is set at creation, so a private key is never readable by others, even briefly.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
    return temporary


__all__ = [
    "DEV_AUDIENCE",
    "DEV_ISSUER",
    "accord_home",
    "api_key_digest",
    "api_keys_path",
    "create_api_key",
    "dev_jwks_path",
    "ensure_dev_keys",
    "ensure_dev_signing_key",
    "ensure_principal_key",
    "mint_token",
    "parse_api_key",
    "principal_key_path",
    "principal_public_key_path",
]
