"""What the Python and TypeScript SDK tests share: the scopes of the customer their tours act
as, and the first example of an SDK's README, pointed at the platform under test."""

import re
from pathlib import Path

# Every scope the tours' calls need.
SCOPES = (
    "banking:read",
    "devices:read",
    "inventory:read",
    "marketing:read",
    "monitor:report",
    "notifications:read",
    "orders:read",
    "orders:write",
    "payments:read",
    "pricing:read",
    "shipping:read",
    "support:read",
)


def first_example(readme: Path, language: str, address: str) -> str:
    """The first ```language block of `readme`, calling the edge at `address`."""
    example = re.search(rf"```{language}\n(.*?)```", readme.read_text(), re.DOTALL)
    assert example is not None, f"{readme} has no {language} example"
    return example.group(1).replace("127.0.0.1:50050", address)
