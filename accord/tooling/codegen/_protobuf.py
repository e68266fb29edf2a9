"""Protobuf contracts → messages, gRPC stubs and their typed stubs (mypy-protobuf).

buf compiles the module (the same compiler `make lint` and `make breaking` use); protoc's
Python generators, bundled in grpcio-tools, then work from buf's image, so both agree on
what the contracts say. buf has no built-in Python gRPC plugin, hence protoc for output.
"""

import shutil
import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pb2

from accord.tooling.codegen._tree import GeneratedFile


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
    image = build_image(root, image_path)
    own = sorted(str(p.relative_to(root / "proto")) for p in (root / "proto").rglob("*.proto"))
    with_services = [f.name for f in image.file if f.name in own and f.service]
    out = workdir / "protobuf"
    out.mkdir()
    _protoc(image_path, out, ["--python_out", "--mypy_out"], own)
    if with_services:
        _protoc(image_path, out, ["--grpc_python_out", "--mypy_grpc_out"], with_services)
    files = [
        GeneratedFile(path, path.relative_to(out), _source_of(path.relative_to(out)))
        for path in sorted(out.rglob("*"))
        if path.is_file()
    ]
    # The compiled contracts, comments included, for the gateway and reflection.
    files.append(GeneratedFile(image_path, Path("contracts.binpb"), "proto/"))
    return files


def _protoc(image: Path, out: Path, flags: list[str], files: list[str]) -> None:
    from grpc_tools import protoc  # imported late: only `make codegen` needs grpcio-tools

    args = [
        "grpc_tools.protoc",
        f"--descriptor_set_in={image}",
        f"--plugin=protoc-gen-mypy={_tool('protoc-gen-mypy')}",
        f"--plugin=protoc-gen-mypy_grpc={_tool('protoc-gen-mypy_grpc')}",
        *(f"{flag}={out}" for flag in flags),
        *files,
    ]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed for {', '.join(files)}")


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
