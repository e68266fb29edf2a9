"""Durations as the contracts write them: "500ms", "30s", "2m", "1h", "7d"."""

import re

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float:
    """Seconds in `text`; a ValueError that quotes it when it is not a contract duration."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 500ms, 30s, 2m, 1h or 7d")
    return float(match.group(1)) * _SECONDS[match.group(2)]
