"""The nats-server configuration the platform runs with, generated from the contracts.

`server_config` renders it: every service as an nkey user with the permissions its AsyncAPI
document grants (`accord.nats_permissions`), the operator, optionally the developer (a
password user with every permission: development only), no anonymous user; how JetStream
syncs to disk; TLS when certificates are given. The embedded nats-server of `make run`,
`make cluster` and the tests load it; `accord nats config` prints it for a server of your
own, with each service's credentials.

JetStream sync: `always` (the default) writes every message to disk before it is
acknowledged; an interval (`2m` is nats-server's own default) acknowledges from memory and
syncs later, so a power loss can lose acknowledged writes (Jepsen, NATS 2.12.1). The
setting is server-wide: banking, payments and orders keep money and orders on this server,
so the default is `always`; ACCORD_NATS_SYNC chooses otherwise (`make bench` shows the
cost).
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from accord.nats_auth import (
    DEVELOPER,
    OPERATOR,
    development_password,
    development_seed,
    issuer_identity,
    operator_seed,
    public_key,
)
from accord.nats_permissions import (
    EVERYTHING,
    Permissions,
    contracts_of,
    operator_permissions,
    service_permissions,
    services_of,
)
from accord.settings import CommonSettings
from accord.tooling.nats_identities import ensure_development_identities
from accord.tooling.nats_tls import TlsFiles, development_tls

REPOSITORY = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class NkeyUser:
    identity: str
    public_key: str
    permissions: Permissions


@dataclass(frozen=True)
class ServerSecurity:
    """What the generated configuration says about who may do what, and durability.

    `device_issuer`: the public account nkey whose signature the server accepts on the
    answers of the auth callout (the service that issues devices' identities); every
    connection that is not one of `users` (or the developer) is then decided by it."""

    users: tuple[NkeyUser, ...]
    developer_password: str | None = None
    sync: str = "always"
    tls: TlsFiles | None = None
    device_issuer: str | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def user(self, identity: str) -> NkeyUser:
        for user in self.users:
            if user.identity == identity:
                return user
        raise LookupError(f"no NATS user {identity!r} in this configuration")


def identities_needed(root: Path = REPOSITORY) -> list[str]:
    """Every nkey the configuration names: each service, the operator, each issuer."""
    contracts = contracts_of(root)
    services = services_of(contracts)
    issuers = [issuer_identity(name) for name, c in services.items() if c.authorizes]
    return [*services, OPERATOR, *issuers]


def security_for(
    seeds_or_keys: dict[str, str],
    *,
    root: Path = REPOSITORY,
    developer_password: str | None = None,
    sync: str = "always",
    tls: TlsFiles | None = None,
) -> ServerSecurity:
    """The configuration for these identities (name -> public key or seed): each service
    of the contracts under `root`, the operator, the issuer of devices' identities."""
    contracts = contracts_of(root)
    services = services_of(contracts)
    users = [
        NkeyUser(name, _public(seeds_or_keys[name]), service_permissions(name, contract, contracts))
        for name, contract in services.items()
    ]
    users.append(
        NkeyUser(OPERATOR, _public(seeds_or_keys[OPERATOR]), operator_permissions(OPERATOR))
    )
    issuers = [issuer_identity(name) for name, c in services.items() if c.authorizes]
    if len(issuers) > 1:
        raise ValueError(f"one service may issue devices' identities, not {issuers}")
    issuer = _public(seeds_or_keys[issuers[0]]) if issuers else None
    return ServerSecurity(tuple(users), developer_password, sync, tls, device_issuer=issuer)


def _public(seed_or_key: str) -> str:
    return public_key(seed_or_key) if seed_or_key.startswith("S") else seed_or_key


def ensure_contract_identities(settings: CommonSettings, root: Path = REPOSITORY) -> None:
    """Development: the NATS identities the contracts under `root` name, made if missing."""
    issuing = [name for name, c in services_of(contracts_of(root)).items() if c.authorizes]
    ensure_development_identities(settings, identities_needed(root), issuing)


def development_security(
    settings: CommonSettings, root: Path = REPOSITORY, *, developer: bool = True
) -> ServerSecurity:
    """Development: every identity under the NATS identities folder (made when missing),
    the developer user with its password, TLS when ACCORD_NATS_TLS asks for it."""
    ensure_contract_identities(settings, root)
    seeds = {name: development_seed(settings, name) for name in identities_needed(root)}
    seeds[OPERATOR] = operator_seed(settings)
    tls = None
    if settings.nats_tls:
        tls = development_tls(settings.nats_identities_dir)
    password = development_password(settings, DEVELOPER) if developer else None
    return security_for(
        seeds, root=root, developer_password=password, sync=settings.nats_sync, tls=tls
    )


def server_config(security: ServerSecurity, store_dir: Path | None = None) -> str:
    """The nats-server configuration file (its format accepts JSON values)."""
    users: list[dict[str, object]] = [
        {"nkey": user.public_key, "permissions": user.permissions.as_config()}
        for user in security.users
    ]
    if security.developer_password is not None:
        users.append(
            {
                "user": DEVELOPER,
                "password": security.developer_password,
                "permissions": EVERYTHING.as_config(),
            }
        )
    authorization: dict[str, object] = {"users": users}
    if security.device_issuer is not None:
        # Every connection that is none of the users above (a device) is decided by the
        # service holding the issuer's key, which answers with the device's permissions.
        bypass = [user.public_key for user in security.users]
        if security.developer_password is not None:
            bypass.append(DEVELOPER)
        authorization["auth_callout"] = {"issuer": security.device_issuer, "auth_users": bypass}
    jetstream: dict[str, object] = {"sync_interval": security.sync}
    if store_dir is not None:
        jetstream["store_dir"] = str(store_dir)
    lines = [
        "# Generated by accord from the AsyncAPI contracts: do not edit by hand.",
        "# Every service is an nkey user with the permissions its contract grants;",
        "# a connection without credentials is refused.",
        f"jetstream: {json.dumps(jetstream)}",
        f"authorization: {json.dumps(authorization, indent=2)}",
    ]
    if security.tls is not None:
        tls = {
            "cert_file": str(security.tls.cert_file),
            "key_file": str(security.tls.key_file),
            "ca_file": str(security.tls.ca_file),
            "timeout": 2,
        }
        lines.append(f"tls: {json.dumps(tls)}")
    lines += [f"{key}: {json.dumps(value)}" for key, value in security.extra.items()]
    return "\n".join(lines) + "\n"
