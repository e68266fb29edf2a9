import pytest

from accord.events import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("30s", 30.0), ("2m", 120.0), ("1h", 3600.0), ("7d", 604800.0)],
)
def test_contract_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["30", "1w", "-1s", "s", "1 h"])
def test_other_text_is_refused_with_the_text_quoted(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text).replace("-", r"\-")):
        parse_duration(text)
