"""Settings every Accord process shares, read from the environment once per process.

Each process subclasses `ServiceSettings` with its own env prefix (ACCORD_ORDERS_PORT, ...);
the NATS address, the state folder and the mode are common to all (NATS_URL, ACCORD_HOME,
ACCORD_MODE).

The mode decides where keys come from. In production, the default, a process uses only the
keys and credentials it is given, and one that lacks them refuses to start with a
`ConfigurationError` that names the variable to set: it never creates a key, and never
falls back on a development key it happens to find under ACCORD_HOME. In development it
reads the keys under ACCORD_HOME (accord.keys), which the developer's tools made before it
started (`make run` and the tests, with accord.tooling.devkeys).
"""

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from accord.keys import principal_public_key_path

NATS_URL_FILE = "nats.url"

# Where a process runs. Development (`make run`, the tests) may create its own keys and
# credentials under ACCORD_HOME; production, the default, only uses what it is given.
Mode = Literal["development", "production"]


# The deadline of one call a service makes to another (through the gateway, waiting for it
# to be ready included): a service declares `x_timeout_seconds: CallTimeout = <default>` and
# says in a comment what a call that runs out means for it (retried with the event, or
# answered UNAVAILABLE).
CallTimeout = Annotated[
    float,
    Field(
        gt=0,
        description="Seconds one call to another service may take, waiting for the gateway "
        "included, before it is given up.",
    ),
]


class ConfigurationError(RuntimeError):
    """A process cannot start as configured; the message says what to set."""


def production_needs(variable: str, what: str) -> ConfigurationError:
    """The refusal of a production process that lacks a key or credential."""
    return ConfigurationError(
        f"production mode: {what}; set {variable} (only ACCORD_MODE=development creates "
        "development keys, under ACCORD_HOME)"
    )


class CommonSettings(BaseSettings):
    """NATS and the local state folder: the same for every process of the platform."""

    model_config = SettingsConfigDict(
        env_prefix="ACCORD_", extra="ignore", frozen=True, populate_by_name=True
    )

    nats_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NATS_URL"),
        description="Comma-separated NATS server URLs; unset means the embedded server.",
    )
    home: Path = Field(
        default=Path(".accord"),
        validation_alias=AliasChoices("ACCORD_HOME"),
        description="Where local state, the embedded server's store and dev keys live.",
    )
    mode: Mode = Field(
        default="production",
        validation_alias=AliasChoices("ACCORD_MODE", "mode"),
        description="development: keys and credentials are created under ACCORD_HOME when "
        "missing (`make run` and the tests set it); production (the default): only "
        "configured ones are used, and a process without them refuses to start.",
    )

    nats_identities: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ACCORD_NATS_IDENTITIES"),
        description="Development only: where the NATS identities (each service's nkey, the "
        "operator's, the developer's password) are created and found; default "
        "ACCORD_HOME/keys/nats.",
    )
    nats_operator_seed_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ACCORD_NATS_OPERATOR_SEED_FILE"),
        description="The operator's nkey seed, for provisioning streams, buckets and "
        "consumers (`make streams`); in development it is created under the identities.",
    )
    nats_tls_ca_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ACCORD_NATS_TLS_CA_FILE"),
        description="The CA that signed the NATS servers' certificates: set, every "
        "connection to NATS is TLS and checks the server against it.",
    )
    nats_tls: bool = Field(
        default=False,
        validation_alias=AliasChoices("ACCORD_NATS_TLS"),
        description="Development only: the embedded nats-server serves TLS with a "
        "certificate made under ACCORD_HOME/keys/nats/tls, and clients trust its CA.",
    )
    nats_sync: str = Field(
        default="always",
        validation_alias=AliasChoices("ACCORD_NATS_SYNC"),
        description="How the generated nats-server configuration syncs JetStream to disk: "
        "`always` (each write before it is acknowledged) or an interval such as `2m` "
        "(faster; a power loss may lose what was acknowledged since the last sync).",
    )

    @property
    def development(self) -> bool:
        return self.mode == "development"

    @property
    def nats_identities_dir(self) -> Path:
        return self.nats_identities or self.home / "keys" / "nats"

    def resolved_nats_servers(self) -> list[str]:
        """NATS_URL, else the embedded server's address that `accord run` wrote down."""
        if self.nats_url:
            return [url.strip() for url in self.nats_url.split(",") if url.strip()]
        written = self.home / NATS_URL_FILE
        if written.exists():
            return [written.read_text().strip()]
        raise RuntimeError(
            f"NATS_URL is not set and {written} does not exist: start the platform with "
            "`make run`, or point NATS_URL at a NATS server"
        )


def service_config(name: str) -> SettingsConfigDict:
    """A service's settings read from ACCORD_<NAME>_* (beside the shared ones), frozen:
    `model_config = service_config("orders")` in each service's settings class."""
    return SettingsConfigDict(
        env_prefix=f"ACCORD_{name.upper()}_", extra="ignore", frozen=True, populate_by_name=True
    )


class ServiceSettings(CommonSettings):
    """Where one service listens. Subclasses set `model_config = service_config(name)` and
    the default port."""

    host: str = Field(default="127.0.0.1", description="The interface the gRPC server binds.")
    port: int = Field(default=0, ge=0, le=65535, description="The gRPC port; 0 picks a free one.")
    grace_seconds: float = Field(
        default=10.0, gt=0, description="How long in-flight calls may finish on shutdown."
    )

    provision: bool = Field(
        default=True,
        description="Create or update the contract's streams, buckets and consumers at start "
        "(development); in production, `make streams` does it before a deploy.",
    )
    identity_public_key_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ACCORD_IDENTITY_PUBLIC_KEY_FILE"),
        description="The gateway's public key, to check the principals it signs.",
    )

    tls_cert_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ACCORD_TLS_CERT_FILE", "tls_cert_file"),
        description="With tls_key_file and tls_client_ca_file: serve gRPC over mutual TLS only.",
    )
    tls_key_file: Path | None = Field(
        default=None, validation_alias=AliasChoices("ACCORD_TLS_KEY_FILE", "tls_key_file")
    )
    tls_client_ca_file: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("ACCORD_TLS_CLIENT_CA_FILE", "tls_client_ca_file"),
        description="The CA whose client certificates (the edge's) may connect.",
    )

    max_streams_per_principal: int = Field(
        default=32,
        gt=0,
        validation_alias=AliasChoices(
            "ACCORD_MAX_STREAMS_PER_PRINCIPAL", "max_streams_per_principal"
        ),
        description="Server streams one caller may hold open at once in this process; one "
        "more is refused with RESOURCE_EXHAUSTED, so one caller cannot take every slot.",
    )

    max_receive_message_bytes: int = Field(
        default=4 * 1024 * 1024,
        gt=0,
        validation_alias=AliasChoices(
            "ACCORD_MAX_RECEIVE_MESSAGE_BYTES", "max_receive_message_bytes"
        ),
        description="The largest request message a service takes; a larger one is refused "
        "with RESOURCE_EXHAUSTED and ErrorInfo MESSAGE_TOO_LARGE (accord.message_size).",
    )

    nats_seed_file: Path | None = Field(
        default=None,
        description="The service's own NATS nkey seed (<PREFIX>NATS_SEED_FILE); unset in "
        "development, where it is made under the NATS identities on first start.",
    )
    nats_seed: SecretStr | None = Field(
        default=None,
        description="The service's nkey seed itself (<PREFIX>NATS_SEED), e.g. from a "
        "secret store; wins over the file.",
    )

    gateway_address: str = Field(
        default="127.0.0.1:50050",
        validation_alias=AliasChoices("ACCORD_GATEWAY_ADDRESS", "gateway_address"),
        description="Where the gateway listens, for a service that calls another one.",
    )
    gateway_api_key: SecretStr | None = Field(
        default=None,
        description="The service's own API key for calls through the gateway "
        "(<PREFIX>GATEWAY_API_KEY); unset in development, where one is created under "
        "ACCORD_HOME with the scopes the service asks for.",
    )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def principal_public_key_file(self) -> Path:
        """The gateway's public key: configured, or in development the one under home."""
        if self.identity_public_key_file is not None:
            return self.identity_public_key_file
        if self.development:
            return principal_public_key_path(self.home)
        raise production_needs(
            "ACCORD_IDENTITY_PUBLIC_KEY_FILE",
            "a service checks every caller with the gateway's public key",
        )

    @property
    def gateway_api_key_variable(self) -> str:
        """The environment variable of this service's own API key."""
        return f"{self.model_config.get('env_prefix', '')}GATEWAY_API_KEY"
