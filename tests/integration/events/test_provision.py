"""Provisioning from the contracts: idempotent, and refusing changes that lose data."""

import dataclasses
import shutil
from pathlib import Path

import pytest
import yaml
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.events import (
    BucketSpec,
    Contract,
    ProvisioningRefused,
    load_document,
    provision,
    provision_documents,
)

pytestmark = pytest.mark.integration


def with_stream(contract: Contract, name: str, **changes: object) -> Contract:
    streams = tuple(
        dataclasses.replace(s, **changes) if s.name == name else s  # type: ignore[arg-type]
        for s in contract.streams
    )
    return dataclasses.replace(contract, streams=streams)


async def test_provisioning_is_idempotent(
    jetstream: JetStreamContext,
    orders_contract: Contract,
    notifications_contract: Contract,
    unique: str,
) -> None:
    """Orders declares the ORDERS stream; notifications' durable consumer reads from it."""
    contracts = [orders_contract, notifications_contract]
    first = await provision(jetstream, contracts)
    again = await provision(jetstream, contracts)

    # Each contract of this topology also holds the upstream streams its durables read
    # (see conftest.py). ORDERS is declared by both, identically: it is provisioned once.
    streams = [
        "ORDERS",
        "ORDERS_DEADLETTER",
        "PAYMENTS",
        "PAYMENTS_DEADLETTER",
        "INVENTORY",
        "INVENTORY_DEADLETTER",
        "SHIPPING",
        "SHIPPING_DEADLETTER",
        "NOTIFICATIONS",
        "NOTIFICATIONS_EMAIL",
        "NOTIFICATIONS_WEBHOOKS",
        "NOTIFICATIONS_DEADLETTER",
        "BANKING",
    ]
    buckets = ["orders", "notifications", "notifications_settings"]
    consumers = [
        ("PAYMENTS", "orders-payment-authorized"),
        ("PAYMENTS", "orders-payment-declined"),
        ("INVENTORY", "orders-stock-reserved"),
        ("INVENTORY", "orders-out-of-stock"),
        ("SHIPPING", "orders-shipment-scheduled"),
        ("ORDERS", "notifications-order-placed"),
        ("ORDERS", "notifications-order-status-changed"),
        ("BANKING", "notifications-transfer-status-changed"),
        ("NOTIFICATIONS_WEBHOOKS", "notifications-webhook-delivery"),
    ]
    assert first == [
        *(f"created stream {name}_{unique}" for name in streams),
        *(f"created bucket {bucket}_{unique}" for bucket in buckets),
        *(f"created consumer {s}_{unique}/{durable}-{unique}" for s, durable in consumers),
    ]
    assert again == [line.replace("created", "unchanged") for line in first]
    info = await jetstream.stream_info(f"ORDERS_{unique}")
    assert info.config.max_age == 7 * 86400
    assert info.config.duplicate_window == 120
    consumer = await jetstream.consumer_info(
        f"ORDERS_{unique}", f"notifications-order-placed-{unique}"
    )
    assert (consumer.config.ack_wait, consumer.config.max_deliver) == (30, 5)


async def test_a_safe_change_is_applied(
    jetstream: JetStreamContext, orders_contract: Contract, unique: str
) -> None:
    await provision(jetstream, [orders_contract])
    stream = f"ORDERS_{unique}"
    wider = with_stream(orders_contract, stream, max_age=14 * 86400.0, duplicate_window=300.0)
    done = await provision(jetstream, [wider])
    assert done[0] == f"updated stream {stream}: max_age, duplicate_window"
    assert (await jetstream.stream_info(stream)).config.max_age == 14 * 86400


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"subjects": ()}, r"subjects: 't\w+\.acme\.orders\.v1\.order\.>' removed"),
        ({"max_age": 3600.0}, r"maxAge: 604800 seconds → 3600 seconds would delete"),
        ({"max_msgs": 10}, r"maxMsgs: unlimited → 10 messages would delete"),
        ({"storage": "memory"}, r"storage: file → memory would drop the stored messages"),
        ({"retention": "workqueue"}, r"retention: limits → workqueue would drop"),
    ],
)
async def test_a_change_that_would_lose_data_is_refused(
    jetstream: JetStreamContext,
    orders_contract: Contract,
    unique: str,
    changes: dict[str, object],
    expected: str,
) -> None:
    await provision(jetstream, [orders_contract])
    stream = f"ORDERS_{unique}"
    before = (await jetstream.stream_info(stream)).config
    with pytest.raises(ProvisioningRefused, match=rf"stream {stream}: {expected}"):
        await provision(jetstream, [with_stream(orders_contract, stream, **changes)])
    assert (await jetstream.stream_info(stream)).config == before


async def test_buckets_are_provisioned_and_guarded(
    jetstream: JetStreamContext, orders_contract: Contract, unique: str
) -> None:
    bucket = BucketSpec(bucket=f"orders_{unique}", history=5, storage="memory", ttl=3600.0)
    contract = dataclasses.replace(orders_contract, streams=(), buckets=(bucket,))
    contract = dataclasses.replace(contract, operations={})
    assert await provision(jetstream, [contract]) == [f"created bucket orders_{unique}"]
    assert await provision(jetstream, [contract]) == [f"unchanged bucket orders_{unique}"]
    fewer = dataclasses.replace(contract, buckets=(dataclasses.replace(bucket, history=2),))
    with pytest.raises(ProvisioningRefused, match=rf"bucket orders_{unique}: history: 5 values"):
        await provision(jetstream, [fewer])


async def test_documents_are_provisioned_from_yaml(
    nats_client: NatsClient, repo_root: Path, tmp_path: Path, unique: str
) -> None:
    """What `make streams` runs, here on renamed copies of every asyncapi/*.yaml (they refer
    to each other's messages, so they are copied side by side)."""
    sources = sorted((repo_root / "asyncapi").glob("*.yaml"))
    for source in sources:
        text = source.read_text()
        for other in sources:
            name = other.stem
            text = text.replace(name.upper(), f"{name.upper()}_{unique}")
            text = text.replace(f"acme.{name}.v1.", f"t{unique}.{name}.")
        text = text.replace("durable: ", f"durable: t{unique}-")
        text = text.replace("bucket: ", f"bucket: t{unique}_")
        (tmp_path / source.name).write_text(text)
    shutil.copytree(repo_root / "asyncapi" / "common", tmp_path / "common")  # what they share
    documents = [tmp_path / source.name for source in sources]
    orders = yaml.safe_load((tmp_path / "orders.yaml").read_text())
    notifications = yaml.safe_load((tmp_path / "notifications.yaml").read_text())
    assert orders["x-jetstream"]["streams"][0]["name"] == f"ORDERS_{unique}"
    assert orders["x-jetstream"]["keyValue"][0]["bucket"] == f"t{unique}_orders"
    binding = notifications["operations"]["receiveOrderPlaced"]["bindings"]["nats"]
    assert binding["x-jetstream"]["stream"] == f"ORDERS_{unique}"
    assert binding["x-jetstream"]["durable"] == f"t{unique}-notifications-order-placed"

    done = await provision_documents(nats_client, documents)
    declared = [Contract.from_document(load_document(d)) for d in documents]
    kinds = [line.split()[:2] for line in done]
    assert kinds == (
        [["created", "stream"]] * sum(len(c.streams) for c in declared)
        + [["created", "bucket"]] * sum(len(c.buckets) for c in declared)
        + [["created", "consumer"]] * sum(len(c.consumers) for c in declared)
    )
    assert f"created consumer ORDERS_{unique}/t{unique}-notifications-order-placed" in done
    assert f"created stream ORDERS_{unique}" in done
    again = await provision_documents(nats_client, documents)
    assert again == [line.replace("created", "unchanged") for line in done]
