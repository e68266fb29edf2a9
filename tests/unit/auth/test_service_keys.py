"""Service API keys: one per service, stable across runs, replaced when its scopes change."""

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from accord import keys
from accord.auth._api_keys import ApiKeyStore
from accord.tooling import devkeys


def test_a_service_keeps_its_key_while_its_scopes_stay(tmp_path: Path) -> None:
    first = devkeys.ensure_service_api_key(tmp_path, "marketing", ["notifications:send"])
    again = devkeys.ensure_service_api_key(tmp_path, "marketing", ["notifications:send"])
    assert again == first
    principal = ApiKeyStore(devkeys.api_keys_path(tmp_path)).authenticate(first)
    assert principal.subject == "svc-marketing"
    assert principal.scopes == frozenset({"notifications:send"})


def test_new_scopes_replace_the_key_and_revoke_the_old_one(tmp_path: Path) -> None:
    old = devkeys.ensure_service_api_key(tmp_path, "support", ["notifications:send"])
    new = devkeys.ensure_service_api_key(tmp_path, "support", ["notifications:send", "x:y"])
    assert new != old
    stored = json.loads(devkeys.api_keys_path(tmp_path).read_text())["keys"]
    assert [key["id"] for key in stored] == [keys.parse_api_key(new)]


def _ensure(home: Path, service: str) -> str:
    return devkeys.ensure_service_api_key(home, service, ["notifications:send"])


def test_services_starting_together_all_keep_their_keys(tmp_path: Path) -> None:
    services = [f"service{n}" for n in range(6)]
    with ProcessPoolExecutor(max_workers=3) as pool:
        keys = list(pool.map(_ensure, [tmp_path] * len(services), services))
    store = ApiKeyStore(devkeys.api_keys_path(tmp_path))
    assert [store.authenticate(key).subject for key in keys] == [f"svc-{s}" for s in services]
