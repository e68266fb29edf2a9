"""Development key material under ACCORD_HOME: made here, read by the runtime (accord.keys).

Everything here is for a developer's machine: `make run`, the tests and `accord token` call
it before any process needs a key; the gateway and the services only read what it made
(in development) or what their settings name (production). The layout is accord.keys'.

Keys are created on first use. Two processes racing to create one end up sharing the first
writer's key: the file appears atomically (hard link of a complete temporary file) or not at
all, and the loser reads the winner's.
"""

import contextlib
import fcntl
import json
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, OKPKey

from accord.keys import (
    API_KEY_PREFIX,
    DEV_ALGORITHM,
    DEV_AUDIENCE,
    DEV_ISSUER,
    PRINCIPAL_ALGORITHM,
    api_key_digest,
    api_keys_path,
    dev_jwks_path,
    dev_signing_key_path,
    parse_api_key,
    principal_key_path,
    principal_public_key_path,
    service_key_path,
    service_subject,
)
from accord.settings import CommonSettings, ConfigurationError


def accord_home() -> Path:
    """ACCORD_HOME, or `.accord` in the working directory."""
    return CommonSettings().home


def ensure_dev_keys(
    home: Path | None = None, callers: Mapping[str, Iterable[str]] | None = None
) -> None:
    """Create every development key that is missing, before any process needs one: the
    token signing key and its JWKS, the gateway's principal key, and an API key for each
    service in `callers` (name → the scopes it calls others with; by default every service
    of services/ whose SERVICE declares gateway_scopes)."""
    from accord.tooling.services import gateway_callers  # imports every service's app

    home = home if home is not None else accord_home()
    ensure_dev_signing_key(home)
    ensure_principal_key(home)
    for service, scopes in (gateway_callers() if callers is None else callers).items():
        ensure_service_api_key(home, service, scopes)


def ensure_dev_signing_key(home: Path) -> ECKey:
    """The development token signing key, created on first use, with its JWKS beside it."""
    private = _created_once(
        dev_signing_key_path(home),
        lambda: ECKey.generate_key("P-256", auto_kid=True).as_dict(private=True, alg=DEV_ALGORITHM),
    )
    key = ECKey.import_key(private)
    public = key.as_dict(private=False, alg=DEV_ALGORITHM, use="sig")
    _published(dev_jwks_path(home), {"keys": [public]})
    return key


def ensure_principal_key(home: Path) -> OKPKey:
    """The gateway's principal signing key, created on first use, with its public half."""
    private = _created_once(
        principal_key_path(home),
        lambda: OKPKey.generate_key("Ed25519", auto_kid=True).as_dict(
            private=True, alg=PRINCIPAL_ALGORITHM
        ),
    )
    key = OKPKey.import_key(private)
    public = key.as_dict(private=False, alg=PRINCIPAL_ALGORITHM, use="sig")
    _published(principal_public_key_path(home), public)
    return key


def _created_once(path: Path, generate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The private JWK at `path`, `generate`d and stored (0600) when there is none yet."""
    if not path.exists():
        _create_once(path, json.dumps(generate()), 0o600)
    private: dict[str, Any] = json.loads(path.read_text())
    return private


def _published(path: Path, public: dict[str, Any]) -> None:
    """Write the public half (0644) derived from the private key, on every call, so that a
    lost or stale one heals itself."""
    if not path.exists() or json.loads(path.read_text()) != public:
        _replace(path, json.dumps(public, indent=2), 0o644)


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


def ensure_service_api_key(home: Path, service: str, scopes: Iterable[str]) -> str:
    """A service's development API key with exactly `scopes`, created on first use.

    `make run` starts services that call each other through the gateway (marketing asks
    notifications to send an email); each needs a credential of its own, as it would get
    from a secret store in production. The plain key is kept for the service only, under
    keys/services/ (0600); the gateway sees its hash in api_keys.json. A key whose scopes no
    longer match what the service asks for is replaced, and the old one revoked.
    """
    wanted = sorted(set(scopes))
    key_file = service_key_path(home, service)
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


# The layout's paths and constants are accord.keys'; the tools' callers find them here too.
__all__ = [
    "DEV_AUDIENCE",
    "DEV_ISSUER",
    "accord_home",
    "api_keys_path",
    "create_api_key",
    "dev_jwks_path",
    "dev_signing_key_path",
    "ensure_dev_keys",
    "ensure_dev_signing_key",
    "ensure_principal_key",
    "ensure_service_api_key",
    "mint_token",
    "principal_key_path",
    "principal_public_key_path",
    "service_subject",
]
