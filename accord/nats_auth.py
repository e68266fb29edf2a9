"""Who connects to NATS, and how: one identity per service, the operator, and in
development a developer.

Each service connects as its own NATS user, authenticated by an nkey (an Ed25519 key pair,
the `nkeys` package): the server's configuration lists every service's public key with the
permissions generated from its AsyncAPI document (`accord.nats_permissions`), so it needs
no secret of ours, and a service proves who it is by signing the server's nonce.

Why nkeys in the server configuration rather than NATS JWT accounts (operator mode): the
platform is one account whose users and permissions follow from the contracts, which a
generated configuration file states plainly (`accord nats config` prints it) and any
nats-server, embedded or not, loads as it is. Operator mode adds an operator, account JWTs
and a resolver to run and keep in step, and refuses plain user-and-password users, which
development tools and the tests use for the developer identity. Devices, which come and go
at run time, get their own nkeys too (see `services/devices/identities.py`).

The identities:
- **a service** (`orders`, ...): its seed from settings (`ACCORD_<SERVICE>_NATS_SEED` or
  `..._NATS_SEED_FILE`); in development only, read from the NATS identities folder
  (ACCORD_NATS_IDENTITIES, default ACCORD_HOME/keys/nats), where the developer's tools
  made it (accord.tooling.nats_identities: `make run`, `make cluster`, the tests);
- **the operator**: creates and changes streams, buckets and consumers (`make streams`,
  development provisioning) and nothing else; its seed from
  ACCORD_NATS_OPERATOR_SEED_FILE, or in development from the identities folder;
- **the developer** (development configurations only): a user and password with every
  permission, for scripts and the tests; `NatsServer.url` embeds it.
Anonymous connections are refused: the configuration has no `no_auth_user`.
"""

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import nats
import nkeys
from nats.aio.client import Client as NatsClient

from accord.settings import CommonSettings, ConfigurationError, ServiceSettings

OPERATOR = "operator"
DEVELOPER = "developer"
SEED_SUFFIX = ".nk"
ISSUER_SUFFIX = "-issuer"


def inbox_prefix(identity: str) -> str:
    """Where an identity's replies arrive; nobody else may subscribe there."""
    return f"_INBOX.{identity}"


def public_key(seed: str) -> str:
    key: bytes = nkeys.from_seed(seed.encode()).public_key
    return key.decode()


def issuer_identity(service: str) -> str:
    """The name of the account key a service signs its fleet's identities with."""
    return f"{service}{ISSUER_SUFFIX}"


def _development_only(settings: CommonSettings, what: str, setting: str) -> None:
    if not settings.development:
        raise ConfigurationError(
            f"no NATS credentials for {what}: set {setting} (production never makes its own; "
            "in development the developer's tools make them under the NATS identities folder)"
        )


def read_secret(path: Path) -> str:
    """A secret the developer's tools made: ConfigurationError naming it when it is missing."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        raise ConfigurationError(
            f"{path} does not exist: `make run` (or `accord nats config`, or the tests' fixtures) "
            "makes the development identities (accord.tooling.nats_identities)"
        ) from None


def development_seed(settings: CommonSettings, identity: str) -> str:
    """The seed of `identity` in the development identities folder: a user's, or an
    account's (the key that signs the identities a service issues)."""
    _development_only(settings, identity, "its seed")
    return read_secret(settings.nats_identities_dir / f"{identity}{SEED_SUFFIX}")


def development_password(settings: CommonSettings, identity: str) -> str:
    _development_only(settings, identity, "its password")
    return read_secret(settings.nats_identities_dir / f"{identity}.password")


def claim_key_path(identities: Path, service: str) -> Path:
    """The development claim key of the devices `service` issues identities to (the codes
    printed on them are HMACs under it), beside the other development identities."""
    return identities / f"{service}-claim.key"


def development_ca_file(identities: Path) -> Path:
    """Where the development CA lies when ACCORD_NATS_TLS asks for TLS in development."""
    return identities / "tls" / "ca.pem"


def service_seed(settings: ServiceSettings, service: str) -> str:
    """The service's own seed: from settings, or (development) from the identities."""
    if settings.nats_seed is not None:
        return settings.nats_seed.get_secret_value().strip()
    if settings.nats_seed_file is not None:
        return settings.nats_seed_file.read_text().strip()
    prefix = str(type(settings).model_config.get("env_prefix", "ACCORD_"))
    _development_only(settings, f"the {service} service", f"{prefix}NATS_SEED_FILE")
    return development_seed(settings, service)


def operator_seed(settings: CommonSettings) -> str:
    if settings.nats_operator_seed_file is not None:
        return settings.nats_operator_seed_file.read_text().strip()
    _development_only(settings, "the operator", "ACCORD_NATS_OPERATOR_SEED_FILE")
    return development_seed(settings, OPERATOR)


def with_developer(address: str, password: str) -> str:
    """`address` (nats://host:port) with the developer's user and password in it."""
    scheme, _, rest = address.partition("://")
    return f"{scheme}://{DEVELOPER}:{quote(password, safe='')}@{rest}"


def developer_url(address: str, settings: CommonSettings) -> str:
    """Where a development script or test connects to the server at `address`: as the
    developer, whose password is among the development identities."""
    return with_developer(address, development_password(settings, DEVELOPER))


def without_credentials(url: str) -> str:
    """`url` without a user and password: a service speaks for itself, not for the URL."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def tls_context(settings: CommonSettings) -> ssl.SSLContext | None:
    """A client TLS context trusting the configured CA (or the development one), or None
    when NATS is not TLS."""
    ca_file = settings.nats_tls_ca_file
    if ca_file is None and settings.nats_tls and settings.development:
        ca_file = development_ca_file(settings.nats_identities_dir)
    if ca_file is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def connect_as(
    servers: list[str],
    identity: str,
    seed: str,
    *,
    tls: ssl.SSLContext | None = None,
    name: str | None = None,
    **options: Any,
) -> NatsClient:
    """Connect as `identity`, signing with its nkey, replies on its own inbox prefix."""
    client: NatsClient = await nats.connect(
        servers=[without_credentials(server) for server in servers],
        name=name or identity,
        nkeys_seed_str=seed,
        inbox_prefix=inbox_prefix(identity),
        tls=tls,
        **options,
    )
    return client


async def connect_operator(settings: CommonSettings, name: str = "accord-operator") -> NatsClient:
    """The operator's connection: provisioning streams, buckets and consumers."""
    return await connect_as(
        settings.resolved_nats_servers(),
        OPERATOR,
        operator_seed(settings),
        tls=tls_context(settings),
        name=name,
    )
