"""AsyncAPI documents → typed event packages, through asyncapi-python's generator.

One package per service document: `asyncapi/orders.yaml` becomes `acme_events.orders`.
"""

import contextlib
import io
import warnings
from pathlib import Path

from accord.codegen._tree import GeneratedFile

PACKAGE_ROOT = "acme_events"


def service_documents(root: Path) -> list[Path]:
    """The per-service documents: the YAML files directly in `asyncapi/` (not shared parts)."""
    return sorted((root / "asyncapi").glob("*.yaml"))


def generate_asyncapi(root: Path, workdir: Path) -> list[GeneratedFile]:
    from asyncapi_python_codegen.generators import CodeGenerator  # codegen-only dependency

    generator = CodeGenerator()
    # The stock generator type-checks its own output at the end; `make lint` does that for us.
    generator.template_renderer.run_mypy = lambda output_dir: None
    out = workdir / "asyncapi" / PACKAGE_ROOT
    files: list[GeneratedFile] = []
    for document in service_documents(root):
        package = out / document.stem
        # datamodel-code-generator reads its settings (no timestamp) from ./pyproject.toml,
        # and the generator narrates every step on stdout.
        with (
            contextlib.chdir(root),
            contextlib.redirect_stdout(io.StringIO()),
            warnings.catch_warnings(),
        ):
            # Its notices of future default changes don't apply: our settings are pinned.
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            generator.generate(document.relative_to(root), package, force=True)
        origin = str(document.relative_to(root))
        files += [
            GeneratedFile(path, Path(PACKAGE_ROOT) / path.relative_to(out), origin)
            for path in sorted(package.rglob("*.py"))
        ]
    init = out / "__init__.py"
    init.write_text('"""Typed event applications, one package per AsyncAPI document."""\n')
    files.append(GeneratedFile(init, Path(PACKAGE_ROOT, "__init__.py"), "asyncapi/"))
    return files
