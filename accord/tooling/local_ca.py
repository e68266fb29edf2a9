"""A local certificate authority: a CA of its own, and certificates it signs for this machine.

For development and tests only: the embedded NATS server's development TLS, and the edge's
and backends' certificates in the TLS tests. Production brings certificates from its own CA.
Uses `cryptography` (already in the lock through joserfc).
"""

import datetime
import ipaddress
from dataclasses import dataclass
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# A clock a little behind this one must still accept a certificate made just now.
_SKEW = datetime.timedelta(minutes=5)

Usage = Literal["server", "client"]
_USAGES = {"server": ExtendedKeyUsageOID.SERVER_AUTH, "client": ExtendedKeyUsageOID.CLIENT_AUTH}


@dataclass(frozen=True)
class Issued:
    """A certificate and its private key."""

    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class LocalCa:
    """A self-signed CA that signs certificates for this machine's names."""

    issued: Issued
    valid: datetime.timedelta

    @classmethod
    def create(cls, common_name: str, valid: datetime.timedelta) -> "LocalCa":
        key = ec.generate_private_key(ec.SECP256R1())
        name = _name(common_name)
        certificate = (
            _builder(name, name, key, valid)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage("key_cert_sign", "crl_sign"), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )
        return cls(Issued(certificate, key), valid)

    def issue(self, name: str, usage: Usage | None = None) -> Issued:
        """A certificate for `name`, also valid for localhost, 127.0.0.1 and ::1; limited to
        `usage` when one is given (a NATS server's serves routes and clients with one)."""
        key = ec.generate_private_key(ec.SECP256R1())
        names = dict.fromkeys(["localhost", name])  # once each, in order
        alternatives: list[x509.GeneralName] = [x509.DNSName(n) for n in names]
        alternatives += [x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", "::1")]
        issuer = self.issued.certificate
        builder = (
            _builder(_name(name), issuer.subject, key, self.valid, issuer.not_valid_after_utc)
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage("digital_signature"), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.issued.key.public_key()),
                critical=False,
            )
        )
        if usage is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage([_USAGES[usage]]), critical=False)
        return Issued(builder.sign(self.issued.key, hashes.SHA256()), key)


# Key usage and key identifiers on every certificate: strict verifiers (OpenSSL's
# X509_STRICT, the default of Python 3.13's ssl) refuse a chain without them.
_KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _usage(*granted: str) -> x509.KeyUsage:
    """A KeyUsage granting only `granted` (KeyUsage's own keyword names)."""
    return x509.KeyUsage(**{usage: usage in granted for usage in _KEY_USAGES})


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    valid: datetime.timedelta,
    until: datetime.datetime | None = None,
) -> x509.CertificateBuilder:
    """Valid from a little before now for `valid`, and not after `until` when given."""
    now = datetime.datetime.now(datetime.UTC)
    end = now + valid if until is None else min(now + valid, until)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _SKEW)
        .not_valid_after(end)
    )
