"""Fixtures of the event runtime tests: generated contracts, renamed per test.

`orders_contract` and `notifications_contract` are renamed with the same `unique`, so
together they are one topology: orders declares the ORDERS stream and publishes to it,
notifications' durable consumer reads from it. Each also holds the upstream streams its
own durables read (payments, inventory, shipping; orders, banking), so either one can
start on its own.
"""

import dataclasses
import importlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from accord.events import Contract
from accord.tooling.codegen._asyncapi import render_package
from tests.integration.events._support import renamed

KIT = Path(__file__).with_name("kit.yaml")


@pytest.fixture(scope="session")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package `make codegen` would generate from kit.yaml, importable as kit_events."""
    out = tmp_path_factory.mktemp("kitgen")
    with warnings.catch_warnings():  # datamodel-code-generator's deprecation notices
        warnings.simplefilter("ignore")
        render_package(KIT, out / "kit_events", source="/kit")
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("kit_events")
    finally:
        sys.path.remove(str(out))


@pytest.fixture
def kit_contract(kit: ModuleType, unique: str) -> Contract:
    return renamed(kit.CONTRACT, unique)


@pytest.fixture
def orders_contract(unique: str) -> Contract:
    from acme_events.inventory import CONTRACT as INVENTORY
    from acme_events.orders import CONTRACT
    from acme_events.payments import CONTRACT as PAYMENTS
    from acme_events.shipping import CONTRACT as SHIPPING

    contract = renamed(CONTRACT, unique)
    # Orders follows payment, stock and shipment events: its durables read the streams of
    # those services, which this test topology must then hold too (renamed the same way).
    upstream = tuple(
        s for doc in (PAYMENTS, INVENTORY, SHIPPING) for s in renamed(doc, unique).streams
    )
    return dataclasses.replace(contract, streams=contract.streams + upstream)


@pytest.fixture
def notifications_contract(unique: str) -> Contract:
    from acme_events.banking import CONTRACT as BANKING
    from acme_events.notifications import CONTRACT
    from acme_events.orders import CONTRACT as ORDERS

    contract = renamed(CONTRACT, unique)
    # Notifications follows order and transfer events: its durables read the ORDERS and
    # BANKING streams, which this topology must then hold too (renamed the same way, so
    # they equal the ORDERS stream `orders_contract` declares and provision as one).
    read = {c.stream for c in contract.consumers}
    upstream = tuple(
        s for doc in (ORDERS, BANKING) for s in renamed(doc, unique).streams if s.name in read
    )
    contract = dataclasses.replace(contract, streams=contract.streams + upstream)
    assert read <= {s.name for s in contract.streams}, "a durable reads an undeclared stream"
    return contract
