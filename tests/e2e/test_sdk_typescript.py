"""The TypeScript SDK against the real platform: compiled with the pinned TypeScript, its
tests run under Node's own test runner over gRPC, and the README's first example runs as
written from a project where the built package is installed. Without Node.js on the machine
these tests say so and skip."""

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from accord.tooling.codegen.sdk._typescript import TOOLS, ensure_tools, node_available
from tests.e2e.conftest import Platform
from tests.e2e.sdk.tour import SCOPES, first_example
from tests.support.processes import output_of

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not node_available(), reason="Node.js (20 or newer, with npm) is not on this machine"
    ),
]

TESTS = Path(__file__).parent / "sdk" / "typescript"
_TSCONFIG = """{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
    "lib": ["ES2022", "DOM"], "strict": true, "skipLibCheck": true,
    "outDir": "out", "rootDir": ".", "types": ["node"]
  },
  "include": ["sdk/src", "tests"]
}
"""


@pytest.fixture(scope="session")
async def compiled(repo_root: Path) -> AsyncIterator[Path]:
    """The SDK and its tests compiled together, in a folder under tools/typescript (whose
    node_modules the compiled code resolves its imports from). Compiled in a thread: the
    services of this process keep answering the edge meanwhile."""
    build = await asyncio.to_thread(_compile, repo_root)
    try:
        yield build
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _compile(repo_root: Path) -> Path:
    ensure_tools(repo_root)
    build = repo_root / TOOLS / "build" / uuid.uuid4().hex[:8]
    shutil.copytree(repo_root / "sdk" / "typescript" / "src", build / "sdk" / "src")
    shutil.copytree(TESTS, build / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    (build / "tsconfig.json").write_text(_TSCONFIG)
    tsc = repo_root / TOOLS / "node_modules" / ".bin" / "tsc"
    done = subprocess.run([str(tsc), "-p", str(build)], capture_output=True, text=True)
    if done.returncode != 0:
        shutil.rmtree(build, ignore_errors=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return build


async def _node_tool(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    return await output_of(*args, cwd=cwd, env={**os.environ, **(env or {})}, timeout=120)


def _env(platform: Platform) -> dict[str, str]:
    return {
        "ACCORD_EDGE": f"http://{platform.address}",
        "TOKEN": platform.token("sdk-ts-tourist", *SCOPES),
        "CUSTOMER": "sdk-ts-tourist",
    }


async def test_the_sdk_passes_its_node_tests_against_the_platform(
    platform: Platform, compiled: Path
) -> None:
    tests = sorted(str(p) for p in (compiled / "out" / "tests").glob("*.test.js"))
    assert tests
    printed = await _node_tool(compiled, "node", "--test", *tests, env=_env(platform))
    assert "# fail 0" in printed, printed


async def test_the_readmes_first_example_runs_as_written(
    platform: Platform, compiled: Path, repo_root: Path
) -> None:
    # A project with the package installed: its package.json and the built files.
    package = compiled / "app" / "node_modules" / "@acme" / "sdk"
    package.mkdir(parents=True)
    shutil.copy(repo_root / "sdk" / "typescript" / "package.json", package / "package.json")
    shutil.copytree(compiled / "out" / "sdk" / "src", package / "dist")
    readme = repo_root / "sdk" / "typescript" / "README.md"
    script = first_example(readme, "js", platform.address)
    (compiled / "app" / "example.mjs").write_text(script)
    token = platform.token("alice", "orders:read", "orders:write")
    printed = await _node_tool(compiled / "app", "node", "example.mjs", env={"TOKEN": token})
    order_id, status = printed.split()
    assert order_id
    assert status in {"PENDING", "PAID", "RESERVED", "SHIPPED", "CANCELLED"}
