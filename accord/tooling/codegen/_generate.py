"""The codegen pipeline: every generator writes into a scratch folder, then one sync per
output folder (`gen/python` for the services, `sdk/` for the SDKs and the reference)."""

import tempfile
from pathlib import Path

from accord.tooling.codegen._asyncapi import generate_asyncapi
from accord.tooling.codegen._protobuf import generate_protobuf
from accord.tooling.codegen._tree import desired_tree, differences, sync
from accord.tooling.codegen.sdk._generate import SDK, generate_sdks

OUTPUT = Path("gen/python")

Trees = dict[Path, dict[Path, bytes]]


def _render(root: Path, workdir: Path, sdk: bool = True) -> Trees:
    protobuf = generate_protobuf(root, workdir)
    trees = {OUTPUT: desired_tree(protobuf + generate_asyncapi(root, workdir))}
    if sdk:
        trees[SDK] = generate_sdks(root, workdir, workdir / "contracts.binpb", protobuf)
    return trees


def generate(root: Path, out: Path | None = None, sdk: bool = True) -> None:
    """Regenerate `gen/python` and `sdk/` under `root` (or under `out`) from the contracts;
    without `sdk`, `gen/python` only: what the services and the edge run."""
    with tempfile.TemporaryDirectory(prefix="accord-codegen-") as scratch:
        trees = _render(root, Path(scratch), sdk)
    for folder, tree in trees.items():
        sync((out or root) / folder, tree)


def check(root: Path) -> list[str]:
    """The generated files under `root` that differ from what the contracts generate."""
    with tempfile.TemporaryDirectory(prefix="accord-codegen-") as scratch:
        trees = _render(root, Path(scratch))
    return [
        f"{change.split(': ', 1)[0]}: {folder / change.split(': ', 1)[1]}"
        for folder, tree in trees.items()
        for change in differences(root / folder, tree)
    ]
