"""The gRPC side of gen/python as protoc plugins that buf runs (buf.gen.yaml):

    python -m accord.tooling.codegen._grpc_plugin grpc_python   # *_pb2_grpc.py
    python -m accord.tooling.codegen._grpc_plugin mypy_grpc     # *_pb2_grpc.pyi

Written here because no published plugin fits: grpcio-tools carries gRPC's Python generator
inside its bundled protoc (`--grpc_python_out`), not as a `protoc-gen-grpc_python` program
buf could run, so `grpc_python` hands buf's request to that protoc. Both narrow the request to
the files that declare services: gRPC's generator and mypy-protobuf's `protoc-gen-mypy_grpc`
otherwise write a stub module for every file, services or none.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2
from google.protobuf.compiler import plugin_pb2

Request = plugin_pb2.CodeGeneratorRequest
Response = plugin_pb2.CodeGeneratorResponse


def grpc_python(request: Request) -> Response:
    """gRPC's Python generator (grpcio-tools' protoc) on the request's files."""
    response = Response(supported_features=Response.FEATURE_PROTO3_OPTIONAL)
    with tempfile.TemporaryDirectory(prefix="accord-grpc-") as scratch:
        image, out = Path(scratch, "input.binpb"), Path(scratch, "out")
        image.write_bytes(
            descriptor_pb2.FileDescriptorSet(file=request.proto_file).SerializeToString()
        )
        out.mkdir()
        protoc = [sys.executable, "-m", "grpc_tools.protoc", f"--descriptor_set_in={image}"]
        options = f"{request.parameter}:" if request.parameter else ""
        subprocess.run(
            [*protoc, f"--grpc_python_out={options}{out}", *request.file_to_generate],
            check=True,
            stdout=subprocess.DEVNULL,  # stdout is the plugin's answer to buf
        )
        for path in sorted(p for p in out.rglob("*") if p.is_file()):
            response.file.add(name=path.relative_to(out).as_posix(), content=path.read_text())
    return response


def mypy_grpc(request: Request) -> Response:
    """mypy-protobuf's typed stubs of the services (`protoc-gen-mypy_grpc`, beside this
    interpreter), on the request's files."""
    plugin = Path(sys.executable).parent / "protoc-gen-mypy_grpc"
    answer = subprocess.run(
        [str(plugin)], input=request.SerializeToString(), capture_output=True, check=True
    )
    sys.stderr.buffer.write(answer.stderr)
    return Response.FromString(answer.stdout)


GENERATORS = {"grpc_python": grpc_python, "mypy_grpc": mypy_grpc}
USAGE = "accord.tooling.codegen._grpc_plugin"


def with_services_only(request: Request) -> Request:
    narrowed = Request()
    narrowed.CopyFrom(request)
    declared = {proto.name for proto in request.proto_file if proto.service}
    del narrowed.file_to_generate[:]
    narrowed.file_to_generate.extend(f for f in request.file_to_generate if f in declared)
    return narrowed


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in GENERATORS:
        print(f"usage: python -m {USAGE} {{{','.join(GENERATORS)}}}", file=sys.stderr)
        return 2
    request = with_services_only(Request.FromString(sys.stdin.buffer.read()))
    if request.file_to_generate:
        response = GENERATORS[argv[0]](request)
    else:
        response = Response(supported_features=Response.FEATURE_PROTO3_OPTIONAL)
    sys.stdout.buffer.write(response.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
