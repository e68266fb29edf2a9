"""A local certificate authority for tests: a CA, and certificates it signs for 127.0.0.1,
written as PEM files into the test's folder (nothing leaves it)."""

import datetime
from dataclasses import dataclass
from pathlib import Path

from accord.tooling.local_ca import LocalCa as Authority

_VALID = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class LocalCa:
    cert: Path
    authority: Authority
    folder: Path

    @classmethod
    def create(cls, folder: Path) -> "LocalCa":
        authority = Authority.create("accord test CA", _VALID)
        path = folder / "ca.pem"
        path.write_bytes(authority.issued.certificate_pem())
        return cls(path, authority, folder)

    def issue(self, name: str, server: bool) -> Pair:
        """A certificate for `name` (also valid for 127.0.0.1 and localhost)."""
        issued = self.authority.issue(name, "server" if server else "client")
        pair = Pair(self.folder / f"{name}.pem", self.folder / f"{name}.key")
        pair.cert.write_bytes(issued.certificate_pem())
        pair.key.write_bytes(issued.key_pem())
        return pair
