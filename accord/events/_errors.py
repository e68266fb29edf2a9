"""What can go wrong on the wire, each error naming the subject or field at fault."""


class EventError(Exception):
    """Base of every error the event runtime raises."""


class Unprocessable(EventError):
    """Raised by a handler for an event no retry can help: a permanent refusal (another
    service answered INVALID_ARGUMENT, say). The event is dead-lettered at once with this
    reason, instead of after every delivery the contract allows."""


class RetryLater(EventError):
    """Raised by a handler that must see its event again later, not because it failed (a
    decision that waits for a settle time, say): the event is NAKed with this delay instead
    of blocking a worker while it waits. Each such redelivery counts towards the consumer's
    maxDeliver; on the last allowed delivery the event is dead-lettered instead."""

    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class ContractViolation(EventError, ValueError):
    """A payload or headers object that does not match the contract's JSON Schema."""


class NoStreamError(EventError):
    """A JetStream publish that no stream captured: nothing was stored."""

    def __init__(self, subject: str) -> None:
        super().__init__(
            f"no JetStream stream captures subject {subject!r}: nothing was stored "
            "(provision the streams of the contract, e.g. `make streams`)"
        )
        self.subject = subject


class PublishTimeout(EventError, TimeoutError):
    """JetStream did not acknowledge a publish in time; it may or may not be stored.
    Retrying with the same event id is safe within the stream's duplicate window."""


class NoResponderError(EventError):
    """A request to a subject on which nobody listens."""

    def __init__(self, subject: str) -> None:
        super().__init__(f"no responder on subject {subject!r}: is the serving service running?")
        self.subject = subject


class RequestTimeout(EventError, TimeoutError):
    """A request whose reply did not arrive in time."""


class RemoteHandlerError(EventError):
    """The responder's handler failed; its error travels back in the reply headers."""


class ProvisioningRefused(EventError):
    """A topology change that would lose stored data, refused before anything changed."""
