"""Provisioning from the contracts: idempotent, and refusing changes that lose data."""

import dataclasses
from pathlib import Path

import pytest
import yaml
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from accord.events import (
    BucketSpec,
    Contract,
    ProvisioningRefused,
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

    assert first == [
        f"created stream ORDERS_{unique}",
        f"created stream ORDERS_DEADLETTER_{unique}",
        f"created stream NOTIFICATIONS_DEADLETTER_{unique}",
        f"created bucket orders_{unique}",
        f"created bucket notifications_{unique}",
        f"created consumer ORDERS_{unique}/notifications-order-placed-{unique}",
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
    """What `make streams` runs, here on renamed copies of asyncapi/orders.yaml and
    asyncapi/notifications.yaml (which refers to orders.yaml beside it)."""
    for name in ("orders", "notifications"):
        text = (repo_root / "asyncapi" / f"{name}.yaml").read_text()
        text = text.replace("ORDERS", f"ORDERS_{unique}")
        text = text.replace("NOTIFICATIONS", f"NOTIFICATIONS_{unique}")
        text = text.replace("acme.orders.v1.", f"t{unique}.orders.")
        text = text.replace("acme.notifications.v1.", f"t{unique}.notifications.")
        text = text.replace("durable: notifications-", f"durable: t{unique}-")
        text = text.replace(f"bucket: {name}", f"bucket: {name}_{unique}")
        (tmp_path / f"{name}.yaml").write_text(text)
    documents = [tmp_path / "orders.yaml", tmp_path / "notifications.yaml"]
    orders, notifications = (yaml.safe_load(d.read_text()) for d in documents)
    assert orders["x-jetstream"]["streams"][0]["name"] == f"ORDERS_{unique}"
    assert orders["x-jetstream"]["keyValue"][0]["bucket"] == f"orders_{unique}"
    assert notifications["x-jetstream"]["keyValue"][0]["bucket"] == f"notifications_{unique}"
    binding = notifications["operations"]["receiveOrderPlaced"]["bindings"]["nats"]
    assert binding["x-jetstream"]["stream"] == f"ORDERS_{unique}"
    assert binding["x-jetstream"]["durable"] == f"t{unique}-order-placed"

    done = await provision_documents(nats_client, documents)
    assert [line.split()[:2] for line in done] == [
        ["created", "stream"],
        ["created", "stream"],
        ["created", "stream"],
        ["created", "bucket"],
        ["created", "bucket"],
        ["created", "consumer"],
    ]
    assert done[-1] == f"created consumer ORDERS_{unique}/t{unique}-order-placed"
    again = await provision_documents(nats_client, documents)
    assert again == [line.replace("created", "unchanged") for line in done]
