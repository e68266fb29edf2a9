"""DeprecationWarnings for calls to a deprecated API version: from the contract's lifecycle
option (known when the SDK was generated) and from the server's RFC 9745 `deprecation`,
RFC 8594 `sunset` and `link` response headers (for a version deprecated since)."""

import warnings
from collections.abc import Iterable
from dataclasses import dataclass

# Python's warnings machinery shows a DeprecationWarning once per calling line (in __main__
# and under test runners by default); the stack level points at the caller's own line.
_CALLER = 4


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


def warn_contract(lifecycle: Lifecycle) -> None:
    warnings.warn(lifecycle.notice(), DeprecationWarning, stacklevel=_CALLER)


def warn_headers(service: str, headers: Iterable[tuple[str, str | bytes]]) -> None:
    """Warn when the server's response says the version is deprecated."""
    found = {key: value for key, value in headers if key in ("deprecation", "sunset", "link")}
    if "deprecation" not in found:
        return
    sunset = found.get("sunset")
    link = found.get("link")
    text = f"the server says {service} is deprecated ({_text(found['deprecation'])})"
    if sunset:
        text += f"; it stops answering after {_text(sunset)}"
    if link:
        text += f"; successor: {_text(link)}"
    warnings.warn(text, DeprecationWarning, stacklevel=_CALLER)


def _text(value: str | bytes) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value
