"""NATS subjects as patterns: which subjects a stream captures, and where two overlap.

A channel address may hold `{param}` placeholders; each stands for any one token, so for
these questions it behaves like the `*` wildcard.
"""

import re

_PARAM = re.compile(r"\{[^}]*\}")


def tokens(subject: str) -> list[str]:
    return ["*" if _PARAM.search(token) else token for token in subject.split(".")]


def covers(pattern: str, subject: str) -> bool:
    """Whether every concrete subject that `subject` stands for matches `pattern`."""
    wanted, given = tokens(pattern), tokens(subject)
    for i, token in enumerate(wanted):
        if token == ">":
            return len(given) > i
        if i >= len(given) or given[i] == ">":
            return False
        if token != "*" and token != given[i]:
            return False  # a literal token covers only the same literal (not a `*`)
    return len(given) == len(wanted)


def overlaps(first: str, second: str) -> bool:
    """Whether some concrete subject matches both patterns."""
    a, b = tokens(first), tokens(second)
    for x, y in zip(a, b, strict=False):
        if ">" in (x, y):
            return True
        if "*" not in (x, y) and x != y:
            return False
    return len(a) == len(b)
