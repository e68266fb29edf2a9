"""Development NATS identities, made before any process needs them.

`make run`, `make cluster` and the tests call `ensure_development_identities` (through
`development_security`, which also writes the server's configuration from them): a seed per
service of the contracts, the operator's, the account seed of each service that issues its
fleet's identities (devices), the developer's password, and each such fleet's claim key.
Processes then only read them (accord.nats_auth, in development mode). Each secret is made
once, readable by its owner only, and never replaced; two processes racing to make one end
up with the first writer's.
"""

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import nkeys

from accord.nats_auth import (
    DEVELOPER,
    ISSUER_SUFFIX,
    OPERATOR,
    SEED_SUFFIX,
    claim_key_path,
    issuer_identity,
)
from accord.settings import CommonSettings


def new_user_seed() -> str:
    seed: bytes = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    return seed.decode()


def new_account_seed() -> str:
    seed: bytes = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_ACCOUNT)
    return seed.decode()


def read_or_create(path: Path, make: Callable[[], str] | None = None) -> str:
    """The secret in `path`; made (a new user seed unless `make`) when missing."""
    if path.exists():
        return path.read_text().strip()
    value = make() if make else new_user_seed()
    try:
        _write_secret(path, value)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    return value


def seed_maker(identity: str) -> Callable[[], str]:
    """An issuer's seed is an account key (it signs identities); every other one a user's."""
    return new_account_seed if identity.endswith(ISSUER_SUFFIX) else new_user_seed


def ensure_development_identities(
    settings: CommonSettings, identities: list[str], issuing: list[str]
) -> None:
    """Every secret development needs: `identities`' seeds (services and issuers, from the
    contracts), the operator's seed, the developer's password, and the claim key of each
    service in `issuing` (those that issue their fleet's identities)."""
    folder = settings.nats_identities_dir
    for identity in [*identities, OPERATOR]:
        read_or_create(folder / f"{identity}{SEED_SUFFIX}", seed_maker(identity))
    read_or_create(folder / f"{DEVELOPER}.password", lambda: secrets.token_urlsafe(24))
    for service in issuing:
        read_or_create(claim_key_path(folder, service), lambda: secrets.token_hex(32))
        read_or_create(folder / f"{issuer_identity(service)}{SEED_SUFFIX}", new_account_seed)


def _write_secret(path: Path, text: str) -> None:
    """Created readable by its owner only, never replaced (O_EXCL)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as stream:
        stream.write(text + "\n")
