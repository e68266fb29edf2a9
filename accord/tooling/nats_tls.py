"""Development TLS for NATS: a local CA and a server certificate for 127.0.0.1/localhost.

Made once under the NATS identities folder when ACCORD_NATS_TLS is set in development
(`cryptography`, which the token keys already use). Production brings its own
certificates: the server's in its configuration, the CA in ACCORD_NATS_TLS_CA_FILE.
"""

import datetime
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from accord.nats_auth import development_ca_file

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
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Accord development NATS CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALID)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALID)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    _write(files.ca_file, ca.public_bytes(pem), 0o644)
    _write(files.cert_file, server.public_bytes(pem), 0o644)
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    _write(files.key_file, private, 0o600)
    return files


def _write(path: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(data)
