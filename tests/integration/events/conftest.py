"""Fixtures of the event runtime tests: generated contracts, renamed per test.

`orders_contract` and `notifications_contract` are renamed with the same `unique`, so
together they are one topology: orders declares the ORDERS stream and publishes to it,
notifications' durable consumer reads from it.
"""

import importlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from accord.codegen._asyncapi import render_package
from accord.events import Contract
from tests.integration.events._support import renamed

KIT = Path(__file__).with_name("kit.yaml")


@pytest.fixture(scope="session")
def kit(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package `make codegen` would generate from kit.yaml, importable as kit_events."""
    out = tmp_path_factory.mktemp("kitgen")
    with warnings.catch_warnings():  # datamodel-code-generator's deprecation notices
        warnings.simplefilter("ignore")
        render_package(repo_root, KIT, out / "kit_events", source="/kit")
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("kit_events")
    finally:
        sys.path.remove(str(out))


@pytest.fixture
def kit_contract(kit: ModuleType, unique: str) -> Contract:
    return renamed(kit.contract.DOCUMENT, unique)


@pytest.fixture
def orders_contract(unique: str) -> Contract:
    from acme_events.orders.contract import DOCUMENT

    return renamed(DOCUMENT, unique)


@pytest.fixture
def notifications_contract(unique: str) -> Contract:
    from acme_events.notifications.contract import DOCUMENT

    return renamed(DOCUMENT, unique)
