"""AsyncAPI documents → typed event packages: one per service document, one for the shared
components of `asyncapi/common/`, every model and schema written once, in the package of
the document that defines it, and imported from there by the others.

`asyncapi/orders.yaml` becomes `acme_events.orders`:
- `contract.py`: what the runtime reads of the document (streams, buckets, consumers,
  operations, addresses, parameters, messages), a literal of `accord.events.Contract`;
- `schemas.py`: the JSON Schemas that orders.yaml defines, which messages' payloads and
  headers are validated against (`_house.py`, `_definitions.py`);
- `models.py`: the pydantic models of those payloads (datamodel-code-generator, `_models.py`);
- `messages/json`: every model its messages carry, its own and those it imports, where
  handlers import them from;
- `router.py`, `application.py`, `__init__.py`: the typed application on the Accord runtime
  (`accord.events`), from our templates (./templates).

asyncapi-python's generator is not used: it writes every schema of every file a document
reaches into that document's own package, and has no supported way to import a model from
another package instead (nor to skip its mypy run, or to add templates).
"""

import subprocess
from collections.abc import Mapping
from pathlib import Path

from accord.events._document import ASYNCAPI_DIR, service_documents
from accord.tooling.codegen._house import Document, House
from accord.tooling.codegen._tree import GeneratedFile

PACKAGE_ROOT = "acme_events"
COMMON = "common"

__all__ = ["Document", "generate_asyncapi", "render_package", "render_packages", "source_of"]


def source_of(document: Path) -> str:
    """The `ce-source` of a document's events: `/acme/<service>`."""
    return f"/acme/{document.stem}"


def generate_asyncapi(root: Path, workdir: Path) -> list[GeneratedFile]:
    """`acme_events`: a package per service document, and `acme_events.common` for the
    definitions of `asyncapi/common/`."""
    out = workdir / "asyncapi"
    documents = [
        Document(f"{ASYNCAPI_DIR}/{p.name}", f"{PACKAGE_ROOT}.{p.stem}", source_of(p))
        for p in service_documents(root)
    ]
    common = sorted((root / ASYNCAPI_DIR / COMMON).glob("*.yaml"))
    shared = {f"{ASYNCAPI_DIR}/{COMMON}/{p.name}": f"{PACKAGE_ROOT}.{COMMON}" for p in common}
    origins = render_packages(root, documents, out, shared=shared)
    init = out / PACKAGE_ROOT / "__init__.py"
    init.write_text('"""Typed event applications, one package per AsyncAPI document."""\n')
    origins[init] = f"{ASYNCAPI_DIR}/"
    return [GeneratedFile(path, path.relative_to(out), origin) for path, origin in origins.items()]


def render_packages(
    root: Path,
    documents: list[Document],
    out: Path,
    *,
    shared: Mapping[str, str] | None = None,
    senders: Mapping[str, str] | None = None,
) -> dict[Path, str]:
    """Write the package of each document under `out` (package `a.b` in out/a/b), and those
    of the `shared` files (file → package) that define what the documents use; returns each
    file written and the document it comes from. `senders`: see `House.render`."""
    origins: dict[Path, str] = {}
    for package, files in House(root, documents, shared or {}).render(senders).items():
        for name, (text, origin) in files.items():
            path = out.joinpath(*package.split("."), name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            origins[path] = origin
    _tidy(out)
    return dict(sorted(origins.items()))


def render_package(document: Path, package: Path, *, source: str) -> None:
    """The package of one document on its own (a test's contract) in the folder `package`,
    whose name is the package's; its consumers accept any sender."""
    name = document.resolve().as_posix().lstrip("/")
    render_packages(Path("/"), [Document(name, package.name, source)], package.parent, senders={})


def _tidy(out: Path) -> None:
    """Imports sorted and unused ones dropped, then formatted as the house formats its own
    code, the same on every machine (ruff is pinned in the lock)."""
    from accord.tooling.codegen._protobuf import _tool

    ruff = [_tool("ruff")]
    settings = ["--isolated", "--no-cache", "--line-length", "100", "--quiet"]
    first_party = ["--config", 'lint.isort.known-first-party = ["accord"]']
    subprocess.run(
        [*ruff, "check", *settings, *first_party, "--select", "I,F401", "--fix", "."],
        cwd=out,
        check=True,
    )
    subprocess.run([*ruff, "format", *settings, "."], cwd=out, check=True)
