"""Production mode (the default): only configured keys, none created, refusals that say what to
set; key files that fail to load keep nothing."""

import json
from pathlib import Path

import pytest
from joserfc.jwk import OKPKey

from accord.auth import Authenticator, AuthFailure, AuthSettings, PrincipalSigner
from accord.auth._jwks import Jwks
from accord.gateway_client import GatewayClient
from accord.identity import IdentitySettings
from accord.service import check_keys
from accord.settings import ConfigurationError
from accord.tooling import devkeys
from services.marketing.settings import MarketingSettings
from tests.unit.auth.conftest import Clock, TokenFactory, bearer, make_authenticator, write_jwks


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Production mode over a home that holds the development keys of an earlier dev run."""
    monkeypatch.setenv("ACCORD_MODE", "production")
    monkeypatch.setenv("ACCORD_HOME", str(tmp_path))
    devkeys.ensure_dev_keys(tmp_path)
    return tmp_path


def _write(path: Path, text: str) -> None:
    path.write_text(text)


def _files(home: Path) -> set[Path]:
    return {path for path in home.rglob("*") if path.is_file()}


def test_production_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCORD_MODE")
    assert AuthSettings().mode == "production"
    assert MarketingSettings().mode == "production"


def test_the_gateway_refuses_to_start_without_configured_keys(production: Path) -> None:
    settings = AuthSettings()
    # Development keys lie under ACCORD_HOME; production does not even look at them.
    assert (settings.jwks_file, settings.principal_signing_key_file) == (None, None)
    assert settings.api_keys_file is None
    before = _files(production)
    with pytest.raises(ConfigurationError, match="ACCORD_GATEWAY_JWKS_URL"):
        Authenticator.from_settings(settings)
    with pytest.raises(ConfigurationError, match="ACCORD_GATEWAY_PRINCIPAL_SIGNING_KEY_FILE"):
        PrincipalSigner.from_settings(settings)
    assert _files(production) == before


def test_the_gateway_creates_nothing_even_when_pointed_at_the_development_paths(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ACCORD_MODE", "production")
    monkeypatch.setenv("ACCORD_GATEWAY_JWKS_FILE", str(devkeys.dev_jwks_path(tmp_path)))
    key_file = devkeys.principal_key_path(tmp_path)
    monkeypatch.setenv("ACCORD_GATEWAY_PRINCIPAL_SIGNING_KEY_FILE", str(key_file))
    settings = AuthSettings(ACCORD_HOME=str(tmp_path))
    with pytest.raises(ConfigurationError, match="does not exist"):
        Authenticator.from_settings(settings)
    with pytest.raises(ConfigurationError, match="cannot read"):
        PrincipalSigner.from_settings(settings)
    assert not (tmp_path / "keys").exists()


async def test_configured_keys_are_used(
    production: Path, monkeypatch: pytest.MonkeyPatch, keys: dict[str, OKPKey]
) -> None:
    issuer = production / "issuer-jwks.json"
    write_jwks(issuer, keys["es-1"])
    signing = OKPKey.generate_key("Ed25519", auto_kid=True)
    signing_file = production / "principal-signing.jwk"
    signing_file.write_text(json.dumps(signing.as_dict(private=True)))
    monkeypatch.setenv("ACCORD_GATEWAY_JWKS_FILE", str(issuer))
    monkeypatch.setenv("ACCORD_GATEWAY_PRINCIPAL_SIGNING_KEY_FILE", str(signing_file))
    settings = AuthSettings()
    Authenticator.from_settings(settings)
    PrincipalSigner.from_settings(settings)
    # No API keys file configured: API keys are not accepted at all.
    with pytest.raises(AuthFailure):
        await Authenticator.from_settings(settings).authenticate((("x-api-key", "ak_1_x"),))


def test_accord_token_creates_no_signing_key_outside_development(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no development signing key"):
        devkeys.mint_token("alice", ["orders:read"], home=tmp_path, create=False)
    assert _files(tmp_path) == set()


def test_a_service_refuses_to_start_without_the_gateway_public_key(production: Path) -> None:
    settings = MarketingSettings()
    with pytest.raises(ConfigurationError, match="ACCORD_IDENTITY_PUBLIC_KEY_FILE"):
        check_keys(settings)


def test_a_service_refuses_a_public_key_it_cannot_read(
    production: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = production / "gateway.pub.jwk"
    broken.write_text("{ not a key")
    monkeypatch.setenv("ACCORD_IDENTITY_PUBLIC_KEY_FILE", str(broken))
    with pytest.raises(ConfigurationError, match=r"gateway\.pub\.jwk"):
        check_keys(MarketingSettings())
    monkeypatch.setenv(
        "ACCORD_IDENTITY_PUBLIC_KEY_FILE", str(devkeys.principal_public_key_path(production))
    )
    check_keys(MarketingSettings())  # a readable key: fine


def test_a_service_calling_others_needs_its_api_key(production: Path) -> None:
    before = _files(production)
    with pytest.raises(ConfigurationError, match="ACCORD_MARKETING_GATEWAY_API_KEY"):
        GatewayClient.open(MarketingSettings(), "marketing")
    assert _files(production) == before  # no service key made


async def test_a_jwks_file_that_breaks_keeps_no_key(
    jwks_file: Path, clock: Clock, token: TokenFactory, caplog: pytest.LogCaptureFixture
) -> None:
    jwks = Jwks.from_file(jwks_file, clock=clock, min_refresh=0, max_age=10)
    authenticator = make_authenticator(jwks, clock, cache_size=0)
    assert await authenticator.authenticate(bearer(token())) is not None
    _write(jwks_file, '{"keys": [')  # an edit that withdrew a key, with a typo
    clock.now += 11
    with pytest.raises(AuthFailure) as refused:
        await authenticator.authenticate(bearer(token()))
    assert refused.value.reason == "KEYS_UNAVAILABLE"
    assert "no token is accepted until it is fixed" in caplog.text


def test_identity_settings_have_no_default_key_in_production(production: Path) -> None:
    with pytest.raises(ConfigurationError, match="ACCORD_IDENTITY_PUBLIC_KEY_FILE"):
        IdentitySettings()
