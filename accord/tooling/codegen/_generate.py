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


def _render(root: Path, workdir: Path) -> Trees:
    protobuf = generate_protobuf(root, workdir)
    gen = desired_tree(protobuf + generate_asyncapi(root, workdir))
    sdk = generate_sdks(root, workdir, workdir / "contracts.binpb", protobuf)
    return {OUTPUT: gen, SDK: sdk}


def generate(root: Path, out: Path | None = None) -> None:
    """Regenerate `gen/python` and `sdk/` under `root` (or under `out`) from the contracts."""
    with tempfile.TemporaryDirectory(prefix="accord-codegen-") as scratch:
        trees = _render(root, Path(scratch))
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
