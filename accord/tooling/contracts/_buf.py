"""buf, run for the contract checks: images of the working tree or of a git ref, the module's
own files, and `buf breaking`. Failures come back as text, to be reported, not raised."""

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from google.protobuf import descriptor_pb2

from accord.tooling.contracts._sources import git


class BufError(Exception):
    """buf refused the input; the message is buf's own output."""


def git_input(root: Path, ref: str) -> str:
    """buf's input for the module at `root` as committed at `ref` (of the same repository)."""
    common = git(root, "rev-parse", "--path-format=absolute", "--git-common-dir").stdout.strip()
    top = Path(git(root, "rev-parse", "--show-toplevel").stdout.strip())
    subdir = root.resolve().relative_to(top.resolve()).as_posix()
    return f"{common}#ref={ref}" + ("" if subdir == "." else f",subdir={subdir}")


def build(
    root: Path, source: str = ".", out: Path | None = None
) -> descriptor_pb2.FileDescriptorSet:
    """The compiled image of `source` (imports included, so request types can be looked up).

    The file at `out` (when given) is a buf image: `buf breaking` takes it as `--against`,
    so a git ref is cloned once, and it reads as a FileDescriptorSet (same field numbers)."""
    with tempfile.TemporaryDirectory(prefix="accord-image-") as tmp:
        path = out or Path(tmp) / "image.binpb"
        _run(root, "build", source, "-o", str(path))
        image = descriptor_pb2.FileDescriptorSet()
        image.ParseFromString(path.read_bytes())
        return image


def own_files(root: Path, source: str = ".") -> list[str]:
    """The import paths of the module's own files (not google/protobuf/... imports)."""
    return _run(root, "ls-files", source, "--format", "import").split()


def breaking(root: Path, against: str, source: str = ".") -> list[str]:
    """`buf breaking` of `source` with the rules of buf.yaml; one problem per line of its
    output. Two built images compare whatever modules each side has (a workspace input
    against an image with another number of modules is refused by buf)."""
    rules = yaml.safe_load((root / "buf.yaml").read_text()).get("breaking", {})
    config = json.dumps({"version": "v2", "breaking": rules})
    done = _buf(root, "breaking", source, "--against", against, "--config", config)
    if done.returncode == 0:
        return []
    lines = (done.stdout + done.stderr).splitlines()
    return [f"buf breaking: {line}" for line in lines if line.strip()]


def _run(root: Path, *args: str) -> str:
    done = _buf(root, *args)
    if done.returncode != 0:
        raise BufError(f"buf {args[0]} failed: {(done.stderr or done.stdout).strip()}")
    return done.stdout


def _buf(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("buf"), *args], cwd=root, capture_output=True, text=True, check=False
    )


def _tool(name: str) -> str:
    """The buf of this virtual environment (buf-bin), else one on PATH. Not imported from
    accord.tooling.codegen: that package pulls in the whole code generator."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found; run `make venv` first")
    return found
