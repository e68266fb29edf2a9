"""NATS permissions generated from the AsyncAPI documents: least privilege per service.

A service may do what its contract says, and nothing else:
- **send** on a channel: publish on its address (a parameter is any one token, `*`);
- **receive** through a durable consumer: fetch from that consumer only
  (`$JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>`, its `INFO`), acknowledge its messages
  (`$JS.ACK.<stream>.<durable>.>`), flow control, and publish its dead-letter records;
- **receive** without a durable (core NATS): subscribe on the address, and answer requests
  only as responses (`allow_responses`);
- **its own streams and buckets** (its document's `x-jetstream`): read them (stream info,
  message get, direct get, ephemeral and ordered consumers), and write its buckets
  (`$KV.<bucket>.>`). Never create, change, purge or delete a stream: that is the
  operator's. The durable consumers that any contract declares on its streams stay out of
  its reach (no creating, changing, deleting, fetching or acknowledging another's);
- replies on its own inbox prefix (`_INBOX.<service>.>`), which nobody else may read;
- the service that issues a fleet's identities (`x-accord-authorizes`) answers the server's
  authorization requests (`$SYS.REQ.USER.AUTH`, as responses).
Everything else is denied: the server denies what a user's allow-list leaves out.

A device (a member of a fleet document, `x-accord-identity`) may publish on the channels
its document sends on and subscribe to those it receives on, each with the identity
parameter bound to its own id (`acme.devices.v1.device.<its id>.adjusted`), and read
replies on its own inbox: `device_permissions`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from accord.events import Contract, load_document, service_documents
from accord.nats_auth import inbox_prefix


@dataclass(frozen=True)
class Permissions:
    """One user's permissions, as the nats-server configuration states them."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    publish_deny: tuple[str, ...] = ()
    subscribe_deny: tuple[str, ...] = ()
    allow_responses: bool = False

    def as_config(self) -> dict[str, object]:
        config: dict[str, object] = {
            "publish": {"allow": list(self.publish), **_deny(self.publish_deny)},
            "subscribe": {"allow": list(self.subscribe), **_deny(self.subscribe_deny)},
        }
        if self.allow_responses:
            config["allow_responses"] = {"max": 1}
        return config


def _deny(subjects: tuple[str, ...]) -> dict[str, list[str]]:
    return {"deny": list(subjects)} if subjects else {}


EVERYTHING = Permissions(publish=(">",), subscribe=(">",), allow_responses=False)


def operator_permissions(identity: str) -> Permissions:
    """Provisioning: the JetStream API, and its own replies."""
    return Permissions(publish=("$JS.API.>",), subscribe=(f"{inbox_prefix(identity)}.>",))


AUTH_CALLOUT = "$SYS.REQ.USER.AUTH"


def contracts_of(root: Path) -> dict[str, Contract]:
    """Each document's contract, by name (the file's): services and fleets (devices)."""
    return {
        path.stem: Contract.from_document(load_document(path)) for path in service_documents(root)
    }


def services_of(contracts: Mapping[str, Contract]) -> dict[str, Contract]:
    """The contracts of services: one identity each (a fleet's members have their own)."""
    return {name: c for name, c in contracts.items() if c.identity_parameter is None}


def member_identity(fleet: str, member: str) -> str:
    """The identity of one member of a fleet: `thermostat.<deviceId>`."""
    return f"{fleet}.{member}"


def device_permissions(fleet: str, contract: Contract, member: str) -> Permissions:
    """What one device may do: its document's channels, bound to its own id."""
    parameter = contract.identity_parameter
    if parameter is None:
        raise ValueError(f"{contract.title} describes no fleet (x-accord-identity)")
    bound = {parameter: member}
    publish: list[str] = []
    subscribe = [f"{inbox_prefix(member_identity(fleet, member))}.>"]
    for operation in contract.operations.values():
        subject = operation.subject(bound)  # refuses an id that is not one subject token
        (publish if operation.action == "send" else subscribe).append(subject)
    return Permissions(publish=_unique(publish), subscribe=_unique(subscribe))


@dataclass
class _Grants:
    publish: list[str] = field(default_factory=list)
    subscribe: list[str] = field(default_factory=list)
    publish_deny: list[str] = field(default_factory=list)
    allow_responses: bool = False


def service_permissions(
    service: str, contract: Contract, everyone: Mapping[str, Contract]
) -> Permissions:
    """What `service` may do on NATS, from its contract (and the durables of all)."""
    grants = _Grants(subscribe=[f"{inbox_prefix(service)}.>"])
    for operation in contract.operations.values():
        if operation.action == "send":
            grants.publish.append(operation.pattern)
        elif operation.consumer is not None:
            consumer = operation.consumer
            stream, durable = consumer.stream, consumer.durable
            grants.publish += [
                f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                *_acks(stream, durable),
            ]
            if consumer.dead_letter:
                grants.publish.append(consumer.dead_letter)
        else:
            grants.subscribe.append(operation.pattern)
            grants.allow_responses = grants.allow_responses or operation.reply is not None
    if contract.authorizes:
        grants.subscribe.append(AUTH_CALLOUT)
        grants.allow_responses = True
    durables = _durables_by_stream(everyone.values())
    own = [s.name for s in contract.streams] + [f"KV_{b.bucket}" for b in contract.buckets]
    for stream in own:
        grants.publish += _reading(stream)
        for durable in durables.get(stream, ()):
            grants.publish_deny += _others_durable(stream, durable)
    grants.publish += [f"$KV.{bucket.bucket}.>" for bucket in contract.buckets]
    # Watching its own data live without a consumer (accord.follow): a core subscription on
    # the subjects of its own streams and buckets only wakes a reader of what it may read.
    grants.subscribe += [subject for s in contract.streams for subject in s.subjects]
    grants.subscribe += [f"$KV.{bucket.bucket}.>" for bucket in contract.buckets]
    # A durable of this service's own on one of its streams: its own grants above win.
    mine = {(c.stream, c.durable) for c in contract.consumers}
    grants.publish_deny = [
        subject
        for subject in grants.publish_deny
        if not any(subject in _own_durable(s, d) for s, d in mine)
    ]
    return Permissions(
        publish=_unique(grants.publish),
        subscribe=_unique(grants.subscribe),
        publish_deny=_unique(grants.publish_deny),
        allow_responses=grants.allow_responses,
    )


def _acks(stream: str, consumer: str) -> list[str]:
    # Both forms of the ack subject: without and with the domain and account hash tokens.
    return [
        f"$JS.ACK.{stream}.{consumer}.>",
        f"$JS.ACK.*.*.{stream}.{consumer}.>",
        f"$JS.FC.{stream}.{consumer}.>",
    ]


def _reading(stream: str) -> list[str]:
    """Reading a stream of one's own: info, gets, ephemeral and ordered consumers."""
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.INFO.{stream}.*",
        f"$JS.API.CONSUMER.DELETE.{stream}.*",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
        f"$JS.ACK.{stream}.>",
        f"$JS.ACK.*.*.{stream}.>",
        f"$JS.FC.{stream}.>",
    ]


def _others_durable(stream: str, durable: str) -> list[str]:
    """A durable consumer on a stream of one's own that is not one's to touch: neither to
    create, replace or delete, nor to fetch from and acknowledge as its owner does."""
    return [
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
        f"$JS.API.CONSUMER.DELETE.{stream}.{durable}",
        *_own_durable(stream, durable),
    ]


def _own_durable(stream: str, durable: str) -> list[str]:
    """What a service does with a durable of its own: fetch and acknowledge."""
    return [
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
        f"$JS.ACK.*.*.{stream}.{durable}.>",
    ]


def _durables_by_stream(contracts: Iterable[Contract]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for contract in contracts:
        for consumer in contract.consumers:
            found.setdefault(consumer.stream, []).append(consumer.durable)
    return found


def _unique(subjects: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(subjects))
