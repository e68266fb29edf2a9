"""NATS subject patterns: what a stream captures, and where two patterns overlap."""

import pytest

from accord.tooling.contracts._subjects import covers, overlaps


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("a.b", "a.b", True),
        ("a.b", "a.b.c", False),
        ("a.*", "a.b", True),
        ("a.*", "a.b.c", False),
        ("a.>", "a.b.c", True),
        ("a.>", "a", False),
        ("a.*.c", "a.{id}.c", True),
        ("a.b.c", "a.{id}.c", False),
        ("a.>", "a.{id}", True),
        ("a.*", "a.>", False),
        (">", "a.>", True),
        ("a.b", "a.*", False),
    ],
)
def test_covers(pattern: str, subject: str, expected: bool) -> None:
    assert covers(pattern, subject) is expected


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("a.b", "a.b", True),
        ("a.b", "a.c", False),
        ("a.b.c", "a.{id}.c", True),
        ("a.>", "a.b.c", True),
        ("a.>", "a", False),
        ("*.b", "a.*", True),
        ("a.*", "a.b.c", False),
        ("x.>", "a.>", False),
    ],
)
def test_overlaps(first: str, second: str, expected: bool) -> None:
    assert overlaps(first, second) is expected
    assert overlaps(second, first) is expected
