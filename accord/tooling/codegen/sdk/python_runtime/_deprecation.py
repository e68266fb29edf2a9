"""DeprecationWarnings for calls to a deprecated API version: from the contract's lifecycle
option (known when the SDK was generated) and from the server's RFC 9745 `deprecation`,
RFC 8594 `sunset` and `link` response headers (for a version deprecated since)."""

import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ._methods import Method

# Python's warnings machinery shows a DeprecationWarning once per calling line (in __main__
# and under test runners by default); the stack level points at the caller's own line:
# through a call (warn <- the connection's one-response step <- its method <- generated
# client method <- caller), or from a stream, which runs when the caller iterates it
# (warn <- stream <- caller).
CALL = 5
STREAM = 3


@dataclass(frozen=True)
class Lifecycle:
    """A deprecated service version as its contract describes it."""

    service: str
    deprecated_date: str
    sunset_date: str
    successor: str
    migration_guide_url: str = ""

    def notice(self) -> str:
        guide = f"; see {self.migration_guide_url}" if self.migration_guide_url else ""
        return (
            f"{self.service} is deprecated since {self.deprecated_date} and stops answering "
            f"after {self.sunset_date}: move to {self.successor}{guide}"
        )


def warn_contract(lifecycle: Lifecycle | None, stacklevel: int) -> None:
    """Warn when the contract says the version is deprecated."""
    if lifecycle is not None:
        warnings.warn(lifecycle.notice(), DeprecationWarning, stacklevel=stacklevel)


def warn_headers(
    method: Method[Any, Any],
    lifecycle: Lifecycle | None,
    headers: Iterable[tuple[str, str | bytes]],
    stacklevel: int,
) -> None:
    """Warn when the server's response says the version is deprecated and its contract did
    not (then `warn_contract` already did)."""
    if lifecycle is not None:
        return
    found = {key: value for key, value in headers if key in ("deprecation", "sunset", "link")}
    if "deprecation" not in found:
        return
    service = method.path.lstrip("/").partition("/")[0]
    sunset = found.get("sunset")
    link = found.get("link")
    text = f"the server says {service} is deprecated ({_text(found['deprecation'])})"
    if sunset:
        text += f"; it stops answering after {_text(sunset)}"
    if link:
        text += f"; successor: {_text(link)}"
    warnings.warn(text, DeprecationWarning, stacklevel=stacklevel)


def _text(value: str | bytes) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value
