"""API keys: stored only as hashes, checked in constant time, refused when unknown or tampered."""

import json
import stat
from pathlib import Path

import pytest

from accord.auth import Authenticator, AuthFailure, Principal
from accord.auth._api_keys import ApiKeyStore
from accord.tooling.devkeys import create_api_key
from tests.unit.auth.conftest import Clock


def rewrite(path: Path, text: str) -> None:
    path.write_text(text)


def read(path: Path) -> str:
    return path.read_text()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "api_keys.json"


@pytest.fixture
def authenticator(path: Path, clock: Clock) -> Authenticator:
    return Authenticator(None, ApiKeyStore(path, recheck=2, clock=clock), clock=clock)


async def test_valid_key_gives_its_owner_and_scopes(
    path: Path, authenticator: Authenticator
) -> None:
    key = create_api_key("alice", ["orders:read", "orders:write"], path=path)
    principal = await authenticator.authenticate((("x-api-key", key),))
    assert principal == Principal("alice", frozenset({"orders:read", "orders:write"}), "api_key")


def test_file_holds_only_a_hash_and_is_private(path: Path) -> None:
    key = create_api_key("alice", ["orders:read"], path=path)
    text = path.read_text()
    secret = key.split("_", 2)[2]
    assert secret not in text
    assert key not in text
    assert json.loads(text)["keys"][0]["owner"] == "alice"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),  # tampered secret
        lambda key: "ak_" + "0" * 16 + "_" + key.split("_", 2)[2],  # unknown id
        lambda key: "ak_nope",  # malformed
        lambda key: "",  # empty
        lambda key: key.replace("ak_", "xx_", 1),  # wrong prefix
    ],
)
async def test_unknown_or_tampered_keys_are_refused(
    path: Path, authenticator: Authenticator, mangle: object
) -> None:
    key = create_api_key("alice", ["orders:read"], path=path)
    assert callable(mangle)
    with pytest.raises(AuthFailure) as caught:
        await authenticator.authenticate((("x-api-key", mangle(key)),))
    assert caught.value.reason == "UNKNOWN_API_KEY"


async def test_keys_added_and_revoked_while_running(
    path: Path, authenticator: Authenticator, clock: Clock
) -> None:
    first = create_api_key("alice", ["orders:read"], path=path)
    assert await authenticator.authenticate((("x-api-key", first),)) is not None

    second = create_api_key("bob", ["orders:read"], path=path)
    clock.now += 2
    principal = await authenticator.authenticate((("x-api-key", second),))
    assert principal is not None
    assert principal.subject == "bob"

    rewrite(path, json.dumps({"keys": []}))  # revoke everything
    clock.now += 2
    with pytest.raises(AuthFailure):
        await authenticator.authenticate((("x-api-key", first),))


async def test_a_broken_file_leaves_no_key_valid_and_says_why(
    path: Path, authenticator: Authenticator, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # Fail closed: the old behaviour kept the last good keys, so a revocation written with a
    # typo revoked nothing.
    key = create_api_key("alice", ["orders:read"], path=path)
    assert await authenticator.authenticate((("x-api-key", key),)) is not None
    good = read(path)
    rewrite(path, "{ half written")
    clock.now += 2
    with pytest.raises(AuthFailure):
        await authenticator.authenticate((("x-api-key", key),))
    assert "no API key is accepted until it is fixed" in caplog.text
    assert str(path) in caplog.text

    rewrite(path, good)
    clock.now += 2
    assert await authenticator.authenticate((("x-api-key", key),)) is not None


async def test_one_malformed_entry_refuses_the_whole_file(
    path: Path, authenticator: Authenticator, clock: Clock
) -> None:
    kept = create_api_key("alice", ["orders:read"], path=path)
    document = json.loads(read(path))
    document["keys"].append({"id": "x", "sha256": "short", "scopes": [], "owner": "mallory"})
    rewrite(path, json.dumps(document))
    clock.now += 2
    with pytest.raises(AuthFailure):
        await authenticator.authenticate((("x-api-key", kept),))
