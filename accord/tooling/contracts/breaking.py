"""`accord breaking --against BRANCH`: what the working tree's contracts break for clients
and consumers of those on BRANCH.

- `buf breaking` with the FILE rules of buf.yaml (wire and generated-code compatibility);
- policy, lifecycle and HTTP-binding options, which buf ignores;
- AsyncAPI documents, channel by channel and property by property.

A BRANCH that does not exist yet (a fresh repository), and files new on this side, pass.
"""

import tempfile
from pathlib import Path

from accord.tooling.contracts import _buf
from accord.tooling.contracts._evolution import asyncapi_changes
from accord.tooling.contracts._option_changes import option_changes
from accord.tooling.contracts._sources import GitRef, WorkingTree, ref_exists


def breaking_changes(root: Path, against: str) -> list[str]:
    """Every breaking change of the working tree at `root` against `against`; empty passes."""
    if not ref_exists(root, against):
        return []
    old = GitRef(root, against)
    return protobuf_changes(root, old) + asyncapi_changes(old, WorkingTree(root))


def protobuf_changes(root: Path, old: GitRef) -> list[str]:
    if not (root / "buf.yaml").exists() or not _exists(old, "buf.yaml"):
        return []
    with tempfile.TemporaryDirectory(prefix="accord-breaking-") as tmp:
        against = Path(tmp) / "against.binpb"
        current = Path(tmp) / "current.binpb"
        try:
            before = _buf.build(root, _buf.git_input(root, old.ref), out=against)
            after = _buf.build(root, out=current)
        except _buf.BufError as error:
            return [str(error)]
        return _buf.breaking(root, str(against), str(current)) + option_changes(before, after)


def _exists(source: GitRef, path: str) -> bool:
    try:
        source.read(path)
    except FileNotFoundError:
        return False
    return True
