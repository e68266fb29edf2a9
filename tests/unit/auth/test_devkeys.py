"""Development keys under ACCORD_HOME, and `mint_token` tokens the default gateway accepts."""

import json
import stat
from pathlib import Path

import pytest

from accord import keys
from accord.auth import Authenticator, AuthFailure, AuthSettings, PrincipalSigner
from accord.settings import ConfigurationError
from accord.tooling import devkeys


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_are_created_once_private_files_0600(tmp_path: Path) -> None:
    devkeys.ensure_dev_keys(tmp_path)
    signing = devkeys.dev_signing_key_path(tmp_path)
    principal = devkeys.principal_key_path(tmp_path)
    assert mode(signing) == 0o600
    assert mode(principal) == 0o600
    assert mode(signing.parent) == 0o700
    before = (signing.read_text(), principal.read_text())
    devkeys.ensure_dev_keys(tmp_path)
    assert (signing.read_text(), principal.read_text()) == before


def test_jwks_holds_only_the_public_key(tmp_path: Path) -> None:
    devkeys.ensure_dev_signing_key(tmp_path)
    jwks = json.loads(devkeys.dev_jwks_path(tmp_path).read_text())
    assert len(jwks["keys"]) == 1
    assert "d" not in jwks["keys"][0]
    assert jwks["keys"][0]["kid"]


async def test_minted_token_is_accepted_by_the_default_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    token = devkeys.mint_token("alice", ["orders:write", "orders:read"])
    authenticator = Authenticator.from_settings(AuthSettings())
    principal = await authenticator.authenticate((("authorization", f"Bearer {token}"),))
    assert principal is not None
    assert (principal.subject, principal.scopes) == (
        "alice",
        frozenset({"orders:read", "orders:write"}),
    )


def test_development_reads_the_keys_the_tools_made_and_makes_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    monkeypatch.setenv("ACCORD_MODE", "development")
    settings = AuthSettings()
    with pytest.raises(ConfigurationError, match="make run"):
        Authenticator.from_settings(settings)
    with pytest.raises(ConfigurationError, match="make run"):
        PrincipalSigner.from_settings(settings)
    assert not any(tmp_path.iterdir())  # the runtime made no key
    devkeys.ensure_dev_keys(tmp_path, callers={})  # what `make run` does first
    Authenticator.from_settings(settings)
    PrincipalSigner.from_settings(settings)


def test_production_creates_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    monkeypatch.setenv("ACCORD_MODE", "production")
    settings = AuthSettings()
    assert settings.mode == "production"
    with pytest.raises(ConfigurationError):
        Authenticator.from_settings(settings)
    with pytest.raises(ConfigurationError):
        PrincipalSigner.from_settings(settings)
    assert not devkeys.dev_jwks_path(tmp_path).exists()
    assert not devkeys.principal_key_path(tmp_path).exists()


async def test_token_for_another_audience_or_issuer_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    monkeypatch.setenv("ACCORD_MODE", "development")
    devkeys.ensure_dev_keys(tmp_path, callers={})
    authenticator = Authenticator.from_settings(AuthSettings())
    for token, reason in [
        (devkeys.mint_token("alice", [], audience="elsewhere"), "BAD_AUDIENCE"),
        (devkeys.mint_token("alice", [], issuer="someone"), "BAD_ISSUER"),
        (devkeys.mint_token("alice", [], ttl=-120), "TOKEN_EXPIRED"),
    ]:
        with pytest.raises(AuthFailure) as caught:
            await authenticator.authenticate((("authorization", f"Bearer {token}"),))
        assert caught.value.reason == reason


def test_configured_jwks_file_must_exist(tmp_path: Path) -> None:
    settings = AuthSettings(jwks_file=tmp_path / "nope.json")
    with pytest.raises(ConfigurationError, match=r"nope\.json"):
        Authenticator.from_settings(settings)


def test_api_key_format(tmp_path: Path) -> None:
    key = devkeys.create_api_key("alice", ["orders:read"], home=tmp_path)
    prefix, key_id, secret = key.split("_", 2)
    assert prefix == "ak"
    assert keys.parse_api_key(key) == key_id
    assert len(secret) >= 40
