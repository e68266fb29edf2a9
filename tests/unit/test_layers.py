"""The house's layers, read from the code's own imports: the runtime (`accord`) imports no
tooling, gateway or service; the edge's control plane (`gateway`) imports no service or
tooling; services import no other service, no gateway and no tooling; nothing imports in a
circle. `accord.tooling` sits on top and may import anything below it."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("accord", "gateway", "services")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _imports(path: Path) -> Iterator[str]:
    """Every absolute import of ours, at any depth of the module (late imports count too)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            yield from (node.module, *names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _ours(name: str, modules: dict[str, Path]) -> str | None:
    """The module of ours `name` refers to (a `from x import y` may name a module or a name)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


MODULES = _modules()
GRAPH = {
    name: {found for i in _imports(path) if (found := _ours(i, MODULES)) and found != name}
    for name, path in MODULES.items()
}


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _runtime(name: str) -> bool:
    return _in(name, "accord") and not _in(name, "accord.tooling") and name != "accord.__main__"


@pytest.mark.parametrize(
    ("who", "may_not"),
    [
        (_runtime, ("accord.tooling", "gateway", "services")),
        (lambda name: _in(name, "gateway"), ("accord.tooling", "services")),
        (lambda name: _in(name, "services"), ("accord.tooling", "gateway")),
    ],
    ids=["runtime", "gateway", "services"],
)
def test_no_arrow_runs_back_up(who: object, may_not: tuple[str, ...]) -> None:
    assert callable(who)
    wrong = sorted(
        f"{name} imports {dep}"
        for name, deps in GRAPH.items()
        if who(name)
        for dep in deps
        if any(_in(dep, package) for package in may_not)
    )
    assert wrong == []


def test_services_never_import_each_other() -> None:
    def service(name: str) -> str:
        return name.split(".")[1] if name.count(".") >= 1 else ""

    wrong = sorted(
        f"{name} imports {dep}"
        for name, deps in GRAPH.items()
        if _in(name, "services")
        for dep in deps
        if _in(dep, "services") and service(dep) not in ("", service(name))
    )
    assert wrong == []


def test_no_module_imports_in_a_circle() -> None:
    """Between modules (a package's __init__ re-exporting its own parts is not a circle)."""

    def edges(name: str) -> set[str]:
        return {d for d in GRAPH[name] if not _in(name, d) and not _in(d, name)}

    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(name: str) -> None:  # Tarjan's strongly connected components
        index[name] = low[name] = len(index)
        stack.append(name)
        for dep in edges(name):
            if dep not in index:
                visit(dep)
                low[name] = min(low[name], low[dep])
            elif dep in stack:
                low[name] = min(low[name], index[dep])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in GRAPH:
        if name not in index:
            visit(name)
    assert circles == []


def test_the_runtime_imports_no_business_s_generated_code() -> None:
    """The runtime serves any contract: it names no generated package of the business (the
    services pass their own classes in, as to `accord.money.event_money`)."""
    wrong = sorted(
        f"{name} imports {imported}"
        for name, path in MODULES.items()
        if _runtime(name)
        for imported in _imports(path)
        if _in(imported, "acme") or _in(imported, "acme_events")
    )
    assert wrong == []
