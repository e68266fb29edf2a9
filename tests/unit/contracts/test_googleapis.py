"""The google/api .proto files buf compiles the HTTP bindings with are the wheel's own."""

from pathlib import Path

import google.api
import pytest


@pytest.mark.parametrize("name", ["annotations.proto", "http.proto"])
def test_third_party_googleapis_is_the_wheels_copy(repo_root: Path, name: str) -> None:
    shipped = Path(next(iter(google.api.__path__))) / name
    vendored = repo_root / "third_party/googleapis/google/api" / name
    assert vendored.read_bytes() == shipped.read_bytes()
