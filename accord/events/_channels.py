"""Channel addresses with AsyncAPI 3 parameters, mapped to NATS subjects.

An address such as `acme.notifications.v1.inapp.{customerId}` is a template: each
`{name}` is one whole subject token, filled in per event. The runtime turns it into
- a subject to publish on, from the parameter values (given, or read from the payload at
  the parameter's `location`, `$message.payload#/customerId`);
- a pattern (`acme.notifications.v1.inapp.*`) wherever NATS wants every subject of the
  channel: a consumer's filter, a stream's subjects, a permission.
A value that is not exactly one token (empty, or holding `.`, `*`, `>` or white space)
is refused: it would publish on another channel's subject, or on none.
"""

import re
from collections.abc import Mapping

_PARAMETER = re.compile(r"\{([^{}]+)\}")
_NOT_ONE_TOKEN = re.compile(r"[.*>\s\x00-\x1f\x7f]")
_PAYLOAD_LOCATION = re.compile(r"^\$message\.payload#/([^/]+)$")


def parameters_of(address: str) -> tuple[str, ...]:
    """The parameter names an address holds, in order."""
    return tuple(_PARAMETER.findall(address))


def pattern_of(address: str) -> str:
    """Every subject of the channel, as a NATS pattern: each parameter becomes `*`."""
    return _PARAMETER.sub("*", address)


def subject_of(address: str, values: Mapping[str, str]) -> str:
    """The subject of one event: each parameter replaced by its value."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(f"channel {address!r} needs the parameter {name!r}")
        text = str(values[name])
        if not text or _NOT_ONE_TOKEN.search(text):
            raise ValueError(
                f"parameter {name!r} of {address!r} must be one subject token (no '.', '*', "
                f"'>' or white space), not {text!r}"
            )
        return text

    return _PARAMETER.sub(value, address)


def values_in(address: str, subject: str) -> dict[str, str] | None:
    """The parameter values of `subject` on the channel `address`; None if it is not one of
    the channel's subjects."""
    wanted, given = address.split("."), subject.split(".")
    if len(wanted) != len(given):
        return None
    values: dict[str, str] = {}
    for template, token in zip(wanted, given, strict=True):
        match = _PARAMETER.fullmatch(template)
        if match:
            values[match.group(1)] = token
        elif template != token:
            return None
    return values


def payload_field(location: object) -> str | None:
    """The payload property a parameter's `location` names (`$message.payload#/customerId`)."""
    if not isinstance(location, str):
        return None
    match = _PAYLOAD_LOCATION.match(location)
    return match.group(1) if match else None
