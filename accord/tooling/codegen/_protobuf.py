"""Protobuf contracts → messages, gRPC stubs and their typed stubs (mypy-protobuf).

buf compiles the module (the same compiler `make lint` and `make breaking` use) and runs the
plugins that `buf.gen.yaml` declares on the compiled image: what is generated, and by which
plugin, is written there, not here.
"""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml
from google.protobuf import descriptor_pb2

from accord.tooling.codegen._tree import GeneratedFile

TEMPLATE = Path("buf.gen.yaml")
PYTHON = "gen/python"  # the `out` of the Python plugins in buf.gen.yaml


def build_image(root: Path, out: Path) -> descriptor_pb2.FileDescriptorSet:
    """Compile the buf module at `root` into a descriptor set (with comments) at `out`."""
    subprocess.run(
        [_tool("buf"), "build", "--as-file-descriptor-set", "-o", str(out)],
        cwd=root,
        check=True,
    )
    image = descriptor_pb2.FileDescriptorSet()
    image.ParseFromString(out.read_bytes())
    return image


def generate_protobuf(root: Path, workdir: Path) -> list[GeneratedFile]:
    """Generate Python for every file of the module's own `proto/` folder."""
    image_path = workdir / "contracts.binpb"
    build_image(root, image_path)
    own = sorted(str(p.relative_to(root / "proto")) for p in (root / "proto").rglob("*.proto"))
    out = buf_generate(root, image_path, PYTHON, own, workdir / "protobuf")
    files = [
        GeneratedFile(path, path.relative_to(out), _source_of(path.relative_to(out)))
        for path in sorted(out.rglob("*"))
        if path.is_file()
    ]
    # The compiled contracts, comments included, for the gateway and reflection.
    files.append(GeneratedFile(image_path, Path("contracts.binpb"), "proto/"))
    return files


def buf_generate(root: Path, image: Path, out: str, paths: Sequence[str], scratch: Path) -> Path:
    """Run the plugins of `buf.gen.yaml` that write to `out` on the files `paths` of `image`,
    into `scratch`; returns the folder they wrote (`scratch / out`)."""
    template = yaml.safe_load((root / TEMPLATE).read_text(encoding="utf-8"))
    template["plugins"] = [p for p in template["plugins"] if p["out"] == out]
    if not template["plugins"]:
        raise ValueError(f"{TEMPLATE} declares no plugin that writes to {out}")
    bin_dir = str(Path(sys.executable).parent)
    subprocess.run(
        [
            _tool("buf"),
            "generate",
            str(image),
            "--template",
            json.dumps(template),
            "-o",
            str(scratch),
            *(arg for path in paths for arg in ("--path", path)),
        ],
        cwd=root,
        env={**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])},
        check=True,
    )
    return scratch / out


def _source_of(generated: Path) -> str:
    """proto/acme/orders/v1/orders.proto for acme/orders/v1/orders_pb2_grpc.pyi."""
    stem = generated.name.split("_pb2", 1)[0]
    return str(Path("proto") / generated.parent / f"{stem}.proto")


def _tool(name: str) -> str:
    """A console script of this virtual environment, else one on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found; run `make venv` first")
    return found
