"""Claim codes: the secret a device carries, which proves its owner holds it.

A device's claim code is an HMAC of its id under the manufacturer's claim key: printed on
the device and known to its firmware, checked here without a list of every device made.
80 bits, so guessing one is out of reach; compared in constant time. The claim key comes
from ACCORD_DEVICES_CLAIM_KEY_FILE; in development from the NATS identities folder, where
the developer's tools made it (accord.tooling.nats_identities).
"""

import base64
import hashlib
import hmac
from pathlib import Path

from accord.nats_auth import claim_key_path, read_secret
from accord.settings import CommonSettings

_GROUPS = 4
_GROUP = 4


def claim_code(key: bytes, device_id: str) -> str:
    """The code printed on device `device_id`: `ABCD-EFGH-JKLM-NPQR`."""
    digest = hmac.new(key, f"accord-claim:{device_id}".encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest).decode()[: _GROUPS * _GROUP]
    return "-".join(text[i : i + _GROUP] for i in range(0, len(text), _GROUP))


def matches(key: bytes, device_id: str, given: str) -> bool:
    """Whether `given` is the device's code; case, spaces and dashes do not matter."""
    normal = "".join(given.split()).replace("-", "").upper()
    expected = claim_code(key, device_id).replace("-", "")
    return hmac.compare_digest(normal.encode(), expected.encode())


def load_claim_key(path: Path) -> bytes:
    return bytes.fromhex(read_secret(path))


def development_claim_key(settings: CommonSettings) -> bytes:
    """The claim key development devices are made with (tests and demos print their codes)."""
    return load_claim_key(claim_key_path(settings.nats_identities_dir, "devices"))
