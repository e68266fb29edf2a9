"""API keys (`x-api-key: ak_<id>_<secret>`), checked against SHA-256 hashes in a JSON file.

    {"keys": [{"id": "3f9c...", "sha256": "<hex>", "scopes": ["orders:read"], "owner": "alice"}]}

The file holds no usable secret; `accord.tooling.devkeys.create_api_key` adds a key. The store
notices
when the file changes (checked at most once per `recheck` seconds), so keys can be added or
revoked while the gateway runs.

It fails closed: a file that cannot be read or parsed, whole, leaves no key valid (and the
log says why) until it is fixed. Keeping the keys of the last good version would make a
revocation that came with a typo revoke nothing.
"""

import hmac
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from accord.auth._errors import UNKNOWN_API_KEY, unauthenticated
from accord.identity import Principal
from accord.keys import api_key_digest, parse_api_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _StoredKey:
    digest: str
    principal: Principal


class ApiKeyStore:
    """The hashed API keys of one file."""

    def __init__(
        self, path: Path, recheck: float = 2.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._path = path
        self._recheck = recheck
        self._clock = clock
        self._keys: dict[str, _StoredKey] = {}
        self._stamp: tuple[int, int] | None = None
        self._checked_at: float | None = None

    def authenticate(self, api_key: str) -> Principal:
        self._reload_if_changed()
        key_id = parse_api_key(api_key)
        stored = self._keys.get(key_id) if key_id is not None else None
        # Hash even when the id is unknown, so timing does not tell which ids exist.
        digest = api_key_digest(api_key)
        expected = stored.digest if stored is not None else "0" * len(digest)
        if stored is None or not hmac.compare_digest(digest, expected):
            raise unauthenticated(UNKNOWN_API_KEY, "the API key is not valid")
        return stored.principal

    def _reload_if_changed(self) -> None:
        now = self._clock()
        if self._checked_at is not None and now - self._checked_at < self._recheck:
            return
        self._checked_at = now
        try:
            status = os.stat(self._path)
        except FileNotFoundError:
            self._keys, self._stamp = {}, None
            return
        stamp = (status.st_mtime_ns, status.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self._keys = _parse(json.loads(self._path.read_text()))
        except (OSError, ValueError, TypeError, KeyError) as error:
            self._keys = {}
            log.error(
                "cannot read API keys from %s (%s): no API key is accepted until it is fixed",
                self._path,
                error,
            )


def _parse(document: object) -> dict[str, _StoredKey]:
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('expected {"keys": [...]}')
    keys: dict[str, _StoredKey] = {}
    for entry in document["keys"]:
        key_id, digest, scopes, owner = (entry[k] for k in ("id", "sha256", "scopes", "owner"))
        if not (
            isinstance(key_id, str)
            and isinstance(digest, str)
            and len(digest) == 64
            and isinstance(owner, str)
            and owner
            and isinstance(scopes, list)
            and all(isinstance(scope, str) for scope in scopes)
        ):
            raise ValueError(f"API key entry {key_id!r} is malformed")
        keys[key_id] = _StoredKey(digest.lower(), Principal(owner, frozenset(scopes), "api_key"))
    return keys
