"""The SDKs' version follows the contracts: major for what `make breaking` calls breaking,
minor for additions, patch for the rest, and nothing at all when nothing changed."""

import shutil
from pathlib import Path

import pytest

from accord.tooling.codegen.sdk._release import CHANGELOG, release
from accord.tooling.contracts import _buf

ORDERS = Path("proto/acme/orders/v2/orders.proto")


@pytest.fixture
def tree(repo_root: Path, tmp_path: Path) -> Path:
    """A copy of the contracts, and an sdk/ folder that recorded them as 1.4.2."""
    root = tmp_path / "repo"
    for folder in ("proto", "third_party", "asyncapi"):
        shutil.copytree(repo_root / folder, root / folder)
    shutil.copy(repo_root / "buf.yaml", root / "buf.yaml")
    first = release(root, _buf.build(root), root / "sdk")
    for path, data in first.record.items():
        (root / "sdk" / path).parent.mkdir(parents=True, exist_ok=True)
        (root / "sdk" / path).write_bytes(data)
    changelog = first.changelog.replace("## 1.0.0", "## 1.4.2")
    (root / "sdk" / CHANGELOG).write_text(changelog)
    return root


def _next(root: Path) -> tuple[str, str]:
    made = release(root, _buf.build(root), root / "sdk")
    return made.version, made.changelog


def _edit(root: Path, old: str, new: str) -> None:
    path = root / ORDERS
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_first_release_is_1_0_0_and_lists_what_it_holds(tree: Path) -> None:
    made = release(tree, _buf.build(tree), tree / "nothing-recorded")
    assert made.version == "1.0.0"
    assert "- service acme.orders.v2.OrderService" in made.changelog
    assert "OrderPlaced on acme.orders.v1.order.placed" in made.changelog


def test_unchanged_contracts_keep_the_version_and_the_changelog(tree: Path) -> None:
    version, changelog = _next(tree)
    assert version == "1.4.2"
    assert changelog == (tree / "sdk" / CHANGELOG).read_text()


def test_a_comment_is_a_patch(tree: Path) -> None:
    _edit(tree, "// GetOrder returns one order.", "// GetOrder returns exactly one order.")
    version, changelog = _next(tree)
    assert version == "1.4.3"
    assert changelog.index("## 1.4.3") < changelog.index("## 1.4.2")


def test_a_new_field_is_a_minor_version_and_named(tree: Path) -> None:
    _edit(
        tree,
        "  string payment_token = 4;\n}",
        "  string payment_token = 4;\n  // A note for the warehouse.\n  string note = 5;\n}",
    )
    version, changelog = _next(tree)
    assert version == "1.5.0"
    assert "- field acme.orders.v2.PlaceOrderRequest.note" in changelog


def test_a_removed_field_is_a_major_version_with_buf_breakings_words(tree: Path) -> None:
    _edit(tree, "  // The id of the order to return.\n  string order_id = 1;\n", "")
    version, changelog = _next(tree)
    assert version == "2.0.0"
    assert "GetOrderRequest" in changelog
    assert "Breaking:" in changelog


def test_a_policy_that_takes_access_away_is_a_major_version(tree: Path) -> None:
    _edit(
        tree, 'required_scopes: ["orders:read"]', 'required_scopes: ["orders:read", "orders:audit"]'
    )
    version, _ = _next(tree)
    assert version == "2.0.0"
