"""What "publish a new version" means for a name: the next major version beside this one."""

import re

_VERSION = re.compile(r"^v(\d+)(.*)$")  # v1, v2beta1


def next_version(dotted: str) -> str:
    """acme.orders.v1.OrderService -> acme.orders.v2.OrderService; the first `vN` token of a
    package or subject is bumped. Names without one get a `.v2` hint on the end."""
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        match = _VERSION.match(part)
        if match:
            parts[i] = f"v{int(match.group(1)) + 1}"
            return ".".join(parts)
    return f"{dotted}.v2"
