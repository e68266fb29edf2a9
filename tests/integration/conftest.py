"""What every integration test of a real service shares: a development home whose keys the
services check callers against, and the gateway's key the tests sign principals with."""

from pathlib import Path

import pytest
from joserfc.jwk import OKPKey

from accord.tooling import devkeys
from tests.support.principals import principal_key


@pytest.fixture(scope="session")
def accord_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the development keys, as `make run` makes: the services started here check
    tokens against its JWKS and principals against its principal key."""
    home = tmp_path_factory.mktemp("accord-home")
    devkeys.ensure_dev_keys(home)
    return home


@pytest.fixture(scope="session")
def gateway_key(accord_home: Path) -> OKPKey:
    return principal_key(accord_home)
