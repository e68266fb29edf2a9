"""`make sdk`: the SDKs as their users install them, built from the committed sdk/ folder.

- Python: a wheel (`pip wheel`, no build isolation: setuptools comes from the venv's lock);
- TypeScript: an npm tarball (`npm pack`) of the package compiled with the pinned TypeScript
  from tools/typescript, whose node_modules the compiler resolves the dependencies from.

Both build in scratch folders, so the tree holds no build output afterwards.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from accord.tooling.codegen.sdk._typescript import TOOLS, ensure_tools


def build_python(root: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="accord-sdk-python-") as scratch:
        source = Path(scratch) / "python"
        shutil.copytree(root / "sdk" / "python", source)
        wheels = Path(scratch) / "dist"
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation"]
            + ["--disable-pip-version-check", "-w", str(wheels), str(source)],
            check=True,
        )
        (wheel,) = wheels.glob("*.whl")
        return Path(shutil.copy(wheel, out))


def build_typescript(root: Path, out: Path) -> Path:
    ensure_tools(root)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="sdk-", dir=root / TOOLS))
    try:
        package = scratch / "package"
        shutil.copytree(root / "sdk" / "typescript", package, ignore=_build_output)
        tsc = root / TOOLS / "node_modules" / ".bin" / "tsc"
        subprocess.run([str(tsc), "-p", str(package)], check=True)
        packed = subprocess.run(
            ["npm", "pack", "--ignore-scripts", "--silent", "--pack-destination", str(out.resolve())],
            cwd=package,
            check=True,
            capture_output=True,
            text=True,
        )
        return out / packed.stdout.strip().splitlines()[-1]
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _build_output(folder: str, names: list[str]) -> set[str]:
    return {name for name in names if name in ("node_modules", "dist")}
