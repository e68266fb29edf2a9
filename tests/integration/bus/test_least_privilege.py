"""The negative matrix, generated from the contracts, against a real nats-server running the
generated configuration: every service identity is refused every channel it does not send
on, every stream, bucket and consumer that is not its own, and every change to a stream;
an anonymous connection cannot even connect. Each refusal is paired with what the same
identity may do, so that a configuration that refuses everything fails here too."""

from collections.abc import AsyncIterator

import nats
import nats.errors
import pytest

from accord.events import Contract
from accord.nats_auth import OPERATOR, inbox_prefix
from accord.nats_permissions import contracts_of, services_of
from accord.settings import CommonSettings
from accord.tooling.contracts._subjects import covers
from accord.tooling.nats_config import ServerSecurity
from accord.tooling.nats_server import NatsServer
from accord.tooling.streams import REPOSITORY, provision_all
from tests.support.bus import probe
from tests.support.servers import nats_in

pytestmark = pytest.mark.integration

DOCUMENTS: dict[str, Contract] = contracts_of(REPOSITORY)
CONTRACTS = services_of(DOCUMENTS)  # a fleet's members (devices) are not services
SERVICES = sorted(CONTRACTS)


def _subject(pattern: str) -> str:
    """A concrete subject of a channel pattern: each parameter filled in."""
    return ".".join("probe" if token in ("*", ">") else token for token in pattern.split("."))


# Every channel some service sends on, and that service.
OWNERS = {
    op.pattern: name
    for name, contract in DOCUMENTS.items()
    for op in contract.operations.values()
    if op.action == "send"
}
STREAMS = {s.name: name for name, c in CONTRACTS.items() for s in c.streams}
BUCKETS = {b.bucket: name for name, c in CONTRACTS.items() for b in c.buckets}
DURABLES = {
    (consumer.stream, consumer.durable): name
    for name, contract in CONTRACTS.items()
    for consumer in contract.consumers
}


@pytest.fixture(scope="module")
async def bus(
    tmp_path_factory: pytest.TempPathFactory, nats_security: ServerSecurity
) -> AsyncIterator[NatsServer]:
    """A server of its own: the probes below publish on real channels."""
    async with nats_in(tmp_path_factory.mktemp("least-privilege"), nats_security) as server:
        await provision_all(CommonSettings(nats_url=server.address), REPOSITORY)
        yield server


def test_the_matrix_covers_every_service_and_channel() -> None:
    assert len(SERVICES) >= 11
    assert "acme.shipping.v1.shipment.scheduled" in OWNERS
    assert OWNERS["acme.notifications.v1.inapp.*"] == "notifications"
    assert OWNERS["acme.devices.v1.device.*.adjusted"] == "thermostat"
    assert len(DURABLES) >= 19


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_publishes_only_on_the_channels_it_sends_on(
    bus: NatsServer, service: str
) -> None:
    others = sorted(_subject(p) for p, owner in OWNERS.items() if owner != service)
    own = sorted(_subject(p) for p, owner in OWNERS.items() if owner == service)
    checking = await probe(bus, service)
    try:
        for subject in others:
            await checking.nc.publish(subject, b"{}")
        denied = await checking.denials(len(others))
        assert denied == {("publish", subject.lower()) for subject in others}
        # Its own channels it may publish on: JetStream stores the event.
        js = checking.nc.jetstream()
        for subject in own:
            ack = await js.publish(subject, b"{}", timeout=5)
            assert ack.stream == _stream_of(subject)
        assert checking.denied == denied
    finally:
        await checking.nc.close()


def _stream_of(subject: str) -> str:
    for contract in CONTRACTS.values():
        for stream in contract.streams:
            if any(covers(pattern, subject) for pattern in stream.subjects):
                return stream.name
    raise LookupError(subject)


@pytest.mark.parametrize("service", SERVICES)
async def test_a_service_reads_only_its_own_streams_buckets_and_consumers(
    bus: NatsServer, service: str
) -> None:
    contract = CONTRACTS[service]
    refused: list[str] = []
    for stream, owner in STREAMS.items():
        if owner != service:
            refused += [
                f"$JS.API.STREAM.INFO.{stream}",
                f"$JS.API.STREAM.MSG.GET.{stream}",
                f"$JS.API.DIRECT.GET.{stream}",
                f"$JS.API.CONSUMER.CREATE.{stream}",
                f"$JS.API.CONSUMER.CREATE.{stream}.probe.>",
            ]
    for bucket, owner in BUCKETS.items():
        if owner != service:
            refused += [
                f"$KV.{bucket}.probe",
                f"$JS.API.STREAM.INFO.KV_{bucket}",
                f"$JS.API.DIRECT.GET.KV_{bucket}.$KV.{bucket}.probe",
                f"$JS.API.CONSUMER.CREATE.KV_{bucket}",
            ]
    for (stream, durable), owner in DURABLES.items():
        if owner != service:
            refused += [
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                f"$JS.ACK.{stream}.{durable}.1.1.1.1.0",
                f"$JS.API.CONSUMER.DELETE.{stream}.{durable}",
                f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
            ]
    # Its own streams it reads, but never creates, changes, purges or deletes.
    for stream in [s.name for s in contract.streams] + [f"KV_{b.bucket}" for b in contract.buckets]:
        refused += [
            f"$JS.API.STREAM.CREATE.{stream}",
            f"$JS.API.STREAM.UPDATE.{stream}",
            f"$JS.API.STREAM.DELETE.{stream}",
            f"$JS.API.STREAM.PURGE.{stream}",
        ]
    refused += ["$JS.API.STREAM.NAMES", "$JS.API.STREAM.LIST", "$JS.API.INFO", "_INBOX.probe"]
    someone_else = "payments" if service == "orders" else "orders"
    forbidden_subscriptions = [">", "acme.>", f"{inbox_prefix(someone_else)}.>"]
    checking = await probe(bus, service)
    try:
        for subject in refused:
            await checking.nc.publish(subject, b"{}", reply=f"{inbox_prefix(service)}.probe")
        for subject in forbidden_subscriptions:
            await checking.nc.subscribe(subject)
        denied = await checking.denials(len(refused) + len(forbidden_subscriptions))
        # (nats-py reports the server's error in lower case)
        assert denied == {("publish", s.lower()) for s in refused} | {
            ("subscription", s.lower()) for s in forbidden_subscriptions
        }
        # What is its own, it reads.
        js = checking.nc.jetstream()
        for own in contract.streams:
            assert (await js.stream_info(own.name)).config.name == own.name
        for declared in contract.buckets:
            kv = await js.key_value(declared.bucket)
            await kv.put("probe", b"1")
            assert (await kv.get("probe")).value == b"1"
        for consumer in contract.consumers:
            info = await js.consumer_info(consumer.stream, consumer.durable)
            assert info.name == consumer.durable
        assert checking.denied == denied
    finally:
        await checking.nc.close()


# A connection that is no configured user goes to the devices service (auth callout); with
# none running here, the server refuses once its wait for an answer is over.
REFUSAL_WAIT = 10


async def test_an_anonymous_connection_is_refused(bus: NatsServer) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(bus.address, allow_reconnect=False, connect_timeout=REFUSAL_WAIT)
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            bus.address.replace("://", "://developer:wrong@"),
            allow_reconnect=False,
            connect_timeout=REFUSAL_WAIT,
        )


async def test_an_unknown_nkey_is_refused(bus: NatsServer) -> None:
    from accord.nats_auth import connect_as
    from accord.tooling.nats_identities import new_user_seed

    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await connect_as(
            [bus.address],
            "stranger",
            new_user_seed(),
            allow_reconnect=False,
            connect_timeout=REFUSAL_WAIT,
        )


async def test_the_operator_provisions_but_publishes_no_event(bus: NatsServer, unique: str) -> None:
    checking = await probe(bus, OPERATOR)
    try:
        js = checking.nc.jetstream()
        stream = f"PROBE_{unique}"
        await js.add_stream(name=stream, subjects=[f"probe.{unique}"])
        assert await js.delete_stream(stream)
        events = sorted(_subject(p) for p in OWNERS)
        for subject in events:
            await checking.nc.publish(subject, b"{}")
        assert await checking.denials(len(events)) == {("publish", s.lower()) for s in events}
    finally:
        await checking.nc.close()


async def test_a_service_connection_cannot_be_made_with_another_services_name(
    bus: NatsServer,
) -> None:
    """The nkey decides who a connection is: orders' key with payments' name is orders."""
    checking = await probe(bus, "orders")
    try:
        await checking.nc.publish("acme.payments.v1.payment.authorized", b"{}")
        assert await checking.denials(1) == {("publish", "acme.payments.v1.payment.authorized")}
    finally:
        await checking.nc.close()
