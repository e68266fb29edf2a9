"""AuthSettings: dev defaults under ACCORD_HOME, env overrides, unsafe choices refused."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from accord.auth import AuthSettings


def test_defaults_live_under_accord_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    settings = AuthSettings()
    assert settings.jwks_file == tmp_path / "keys" / "jwks.json"
    assert settings.api_keys_file == tmp_path / "api_keys.json"
    assert settings.principal_signing_key_file == tmp_path / "keys" / "principal.jwk"
    assert settings.algorithms == ["RS256", "ES256", "EdDSA", "Ed25519"]
    assert settings.leeway_seconds == 30


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_GATEWAY_ALGORITHMS", "RS256, PS256")
    monkeypatch.setenv("ACCORD_GATEWAY_ISSUER", "https://login.example.com/")
    monkeypatch.setenv("ACCORD_GATEWAY_JWKS_URL", "https://login.example.com/jwks")
    settings = AuthSettings()
    assert settings.algorithms == ["RS256", "PS256"]
    assert settings.issuer == "https://login.example.com/"
    assert settings.jwks_url == "https://login.example.com/jwks"


@pytest.mark.parametrize("algorithms", ["none", "HS256", "RS256,HS512", ""])
def test_unsafe_algorithms_cannot_be_allowed(
    monkeypatch: pytest.MonkeyPatch, algorithms: str
) -> None:
    monkeypatch.setenv("ACCORD_GATEWAY_ALGORITHMS", algorithms)
    with pytest.raises(ValidationError):
        AuthSettings()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://issuer.example/jwks", True),
        ("http://127.0.0.1:8080/jwks", True),
        ("http://localhost/jwks", True),
        ("http://issuer.example/jwks", False),
        ("file:///etc/passwd", False),
    ],
)
def test_jwks_url_must_be_https_unless_loopback(url: str, ok: bool) -> None:
    if ok:
        assert AuthSettings(jwks_url=url).jwks_url == url
    else:
        with pytest.raises(ValidationError):
            AuthSettings(jwks_url=url)
