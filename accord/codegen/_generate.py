"""The codegen pipeline: every generator writes into a scratch folder, then one sync."""

import tempfile
from pathlib import Path

from accord.codegen._asyncapi import generate_asyncapi
from accord.codegen._protobuf import generate_protobuf
from accord.codegen._tree import desired_tree, differences, sync

OUTPUT = Path("gen/python")


def _render(root: Path, workdir: Path) -> dict[Path, bytes]:
    files = generate_protobuf(root, workdir) + generate_asyncapi(root, workdir)
    return desired_tree(files)


def generate(root: Path, out: Path | None = None) -> None:
    """Regenerate `gen/python` (or `out`) from `proto/` and `asyncapi/` under `root`."""
    with tempfile.TemporaryDirectory(prefix="accord-codegen-") as scratch:
        tree = _render(root, Path(scratch))
    sync(out or root / OUTPUT, tree)


def check(root: Path) -> list[str]:
    """The files in `gen/python` that differ from what the contracts generate."""
    with tempfile.TemporaryDirectory(prefix="accord-codegen-") as scratch:
        tree = _render(root, Path(scratch))
    return differences(root / OUTPUT, tree)
