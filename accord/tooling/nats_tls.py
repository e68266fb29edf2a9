"""Development TLS for NATS: a local CA and a server certificate for 127.0.0.1/localhost.

Made once under the NATS identities folder when ACCORD_NATS_TLS is set in development
(`cryptography`, which the token keys already use). Production brings its own
certificates: the server's in its configuration, the CA in ACCORD_NATS_TLS_CA_FILE.
"""

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from accord.nats_auth import development_ca_file
from accord.tooling.local_ca import LocalCa

_VALID = datetime.timedelta(days=365)


@dataclass(frozen=True)
class TlsFiles:
    """A server's certificate and key, and the CA its clients trust."""

    cert_file: Path
    key_file: Path
    ca_file: Path


def development_tls(identities: Path) -> TlsFiles:
    files = TlsFiles(
        identities / "tls" / "server.pem",
        identities / "tls" / "server-key.pem",
        development_ca_file(identities),
    )
    folder = files.ca_file.parent
    if files.cert_file.exists() and files.key_file.exists() and files.ca_file.exists():
        return files
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    ca = LocalCa.create("Accord development NATS CA", _VALID)
    server = ca.issue("localhost")
    _write(files.ca_file, ca.issued.certificate_pem(), 0o644)
    _write(files.cert_file, server.certificate_pem(), 0o644)
    _write(files.key_file, server.key_pem(), 0o600)
    return files


def _write(path: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
