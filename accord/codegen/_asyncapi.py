"""AsyncAPI documents → typed event packages: one per service document, one for the shared
components of `asyncapi/common/`, every model and schema written once, in the package of
the document that defines it.

`asyncapi/orders.yaml` becomes `acme_events.orders`:
- `contract.py`: what the runtime reads of the document (streams, buckets, consumers,
  operations, addresses, parameters, messages), a literal of `accord.events.Contract`;
- `schemas.py`: the JSON Schemas orders.yaml defines, which its messages' payloads and
  headers are validated against; another package's are imported from it, by name;
- `models.py`: the pydantic models of those payloads (datamodel-code-generator);
- `messages/json`: every model its messages carry, its own and those it imports, where
  handlers import them from;
- `router.py`, `application.py`, `__init__.py`: the typed application, from our templates
  (./templates) on the Accord runtime (`accord.events`).

No part of asyncapi-python runs here: its generator writes every schema of every file a
document reaches into that document's package (322 classes for 56 models), and offers no
supported way to import a model from another package.
"""

import ast
import posixpath
import re
import subprocess
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from accord.codegen._definitions import (
    Definition,
    Definitions,
    MessageAt,
    in_file_order,
    reached,
    written,
)
from accord.codegen._literal import Name, literal
from accord.codegen._models import render_models
from accord.codegen._tree import GeneratedFile
from accord.events import Contract, OperationSpec, load_document
from accord.events._document import ASYNCAPI_DIR, Files, service_documents

PACKAGE_ROOT = "acme_events"
COMMON = "common"
TEMPLATES = Path(__file__).parent / "templates"


def source_of(document: Path) -> str:
    """The `ce-source` of a document's events: `/acme/<service>`."""
    return f"/acme/{document.stem}"


@dataclass(frozen=True)
class Document:
    """One document to generate a package from."""

    path: str  # relative to the root the files are read from: asyncapi/orders.yaml
    package: str  # acme_events.orders
    source: str  # the default `ce-source` of the application's events


def generate_asyncapi(root: Path, workdir: Path) -> list[GeneratedFile]:
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
    """Write the package of each document under `out` (package `a.b` in out/a/b), and one for
    the files of `shared` (file → package) that hold definitions; returns each file written
    and the document it comes from. `senders` gives the `ce-source` a consumer accepts on
    each channel pattern; by default, the senders among `documents`."""
    house = _House(root, documents, dict(shared or {}))
    origins: dict[Path, str] = {}
    for package, files in house.render(senders).items():
        folder = out.joinpath(*package.split("."))
        for name, (text, origin) in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            origins[path] = origin
    _tidy(out)
    return dict(sorted(origins.items()))


def render_package(root: Path, document: Path, package: Path, *, source: str) -> None:
    """The package of one document on its own (a test's contract) in the folder `package`."""
    name = document.resolve().as_posix().lstrip("/")
    only = Document(name, package.name, source)
    render_packages(Path("/"), [only], package.parent, senders={})


@dataclass(frozen=True)
class _Endpoint:
    """What the router template writes for one operation."""

    side: str  # producer or consumer
    attribute: str
    kind: str
    key: str
    types: str
    doc: str
    sender: str


class _House:
    """The documents generated together, and the definitions their messages reach."""

    def __init__(self, root: Path, documents: list[Document], shared: dict[str, str]) -> None:
        self.root = root
        self.documents = documents
        self.packages = {d.path: d.package for d in documents} | shared
        self.files = Files(lambda path: (root / path).read_text(encoding="utf-8"))
        self.definitions = Definitions(self.files)
        self.contracts = {
            d.path: Contract.from_document(load_document(root / d.path)) for d in documents
        }
        self.messages = {d.path: self._messages(d) for d in documents}

    def _messages(self, document: Document) -> dict[str, tuple[MessageAt, MessageAt | None]]:
        found = {}
        for key, operation in self.contracts[document.path].operations.items():
            reply = (
                self.definitions.message(document.path, key, reply=True)
                if operation.reply
                else None
            )
            found[key] = (self.definitions.message(document.path, key), reply)
        return found

    def owner(self, definition: Definition) -> str:
        if definition.file not in self.packages:
            raise ValueError(
                f"{definition.file} defines {definition.name}, which a generated document uses: "
                "generate it with them (a service document, or a shared part in asyncapi/common/)"
            )
        return self.packages[definition.file]

    def render(self, senders: Mapping[str, str] | None) -> dict[str, dict[str, tuple[str, str]]]:
        """Each package's files: name in the package → (text, origin)."""
        every = [
            m for d in self.documents for pair in self.messages[d.path].values() for m in pair if m
        ]
        for message in every:
            if not message.payload.model:
                raise ValueError(f"{message.file}: the payload of {message.name} is not an object")
        payloads = reached([m.payload for m in every])
        schemas = reached([m.payload for m in every] + [m.headers for m in every if m.headers])
        files: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        services = {d.package for d in self.documents}
        for package in sorted({self.owner(d) for d in schemas}):
            origin = self._origin(package)
            owned = in_file_order([d for d in schemas if self.owner(d) == package], self.files)
            files[package]["schemas.py"] = (self._schemas(package, owned), origin)
            models = [d for d in owned if d in payloads and d.model]
            if models:
                files[package]["models.py"] = (self._models(package, models), origin)
            if package not in services:
                files[package]["__init__.py"] = (
                    _render("common_init.py.j2", origin=origin),
                    origin,
                )
        models_code = {
            package: f["models.py"][0] for package, f in files.items() if "models.py" in f
        }
        chosen = senders if senders is not None else self._senders()
        for document in self.documents:
            written = self._service_package(document, chosen, models_code)
            files[document.package].update({n: (t, document.path) for n, t in written.items()})
        return files

    def _origin(self, package: str) -> str:
        """The document a package comes from, or the folder of the shared files it holds."""
        paths = sorted(path for path, owner in self.packages.items() if owner == package)
        return paths[0] if len(paths) == 1 else posixpath.commonpath(paths) + "/"

    # --- schemas.py and models.py of each owner -----------------------------------------

    def _schemas(self, package: str, owned: list[Definition]) -> str:
        imports: dict[str, set[str]] = defaultdict(set)

        def name_of(used: Definition) -> Name:
            if self.owner(used) != package:
                imports[f"{self.owner(used)}.schemas"].add(used.constant)
            return Name(used.constant)

        body = "".join(
            f"\n{d.constant}: Mapping[str, Any] = {literal(written(d, name_of))}\n" for d in owned
        )
        _no_clash(package, [d.constant for d in owned], imports)
        return _render(
            "schemas.py.j2",
            where=self._origin(package),
            imports=_imports(imports),
            body=body.lstrip("\n"),
        )

    def _models(self, package: str, owned: list[Definition]) -> str:
        code = render_models(owned, lambda d: f"{self.owner(d)}.models")
        return _render("models.py.j2", where=self._origin(package), code=code)

    # --- the package of a service document ------------------------------------------------

    def _service_package(
        self, document: Document, senders: Mapping[str, str], models_code: Mapping[str, str]
    ) -> dict[str, str]:
        raw = self.files.raw(document.path)
        info = raw.get("info") or {}
        title, version = str(info.get("title", "?")), str(info.get("version", "0.0.0"))
        context = {
            "title": title,
            "version": version,
            "asyncapi_version": str(raw.get("asyncapi", "")),
            "source": document.source,
            "document": document.path,
        }
        endpoints = self._endpoints(document, raw, senders)
        return {
            "__init__.py": _render("__init__.py.j2", **context),
            "application.py": _render("application.py.j2", **context),
            "router.py": _render("router.py.j2", endpoints=endpoints, **context),
            "contract.py": self._contract(document, title),
            "messages/__init__.py": f'"""Message models for {title}."""\n',
            "messages/json/__init__.py": self._facade(document, title, models_code),
        }

    def _contract(self, document: Document, title: str) -> str:
        contract = self.contracts[document.path]
        names: dict[int, Name] = {}
        imports: dict[str, set[str]] = defaultdict(set)
        for key, (message, reply) in self.messages[document.path].items():
            operation = contract.operations[key]
            specs = [(operation.message, message)]
            if reply is not None and operation.reply is not None:
                specs.append((operation.reply, reply))
            for spec, at in specs:
                for schema, definition in (
                    (spec.payload_schema, at.payload),
                    (spec.headers_schema, at.headers),
                ):
                    if schema is not None and definition is not None:
                        imports[f"{self.owner(definition)}.schemas"].add(definition.constant)
                        names[id(schema)] = Name(definition.constant)
        kinds: set[str] = {"Contract"}

        def rewrite(value: Any) -> Any:
            if type(value).__module__ == Contract.__module__:
                kinds.add(type(value).__name__)
            return names.get(id(value), value)

        body = literal(contract, rewrite=rewrite)
        _no_clash(document.package, sorted(kinds), imports)
        return _render(
            "contract.py.j2",
            title=title,
            document=document.path,
            kinds=", ".join(sorted(kinds)),
            imports=_imports(imports),
            body=body,
        )

    def _facade(self, document: Document, title: str, models_code: Mapping[str, str]) -> str:
        """messages/json: the models of the document's messages, and the classes they use."""
        pairs = self.messages[document.path].values()
        roots = [m.payload for pair in pairs for m in pair if m]
        by_owner: dict[str, set[str]] = defaultdict(set)
        for definition in reached(roots):
            if definition.model:
                by_owner[self.owner(definition)].add(definition.name)
        for owner, names in by_owner.items():
            names |= _nested_classes(models_code[owner], names)
        imports = {f"{owner}.models": names for owner, names in by_owner.items()}
        exported = sorted(n for names in by_owner.values() for n in names)
        if len(exported) != len(set(exported)):
            raise ValueError(f"{document.path}: two models of its messages have one name")
        return _render(
            "messages_json.py.j2", title=title, imports=_imports(imports), names=exported
        )

    def _endpoints(
        self, document: Document, raw: Mapping[str, Any], senders: Mapping[str, str]
    ) -> list[_Endpoint]:
        contract = self.contracts[document.path]
        endpoints = []
        for key, operation in contract.operations.items():
            message, reply = self.messages[document.path][key]
            types = f"json.{message.payload.name}"
            if reply is not None:
                types += f", json.{reply.payload.name}"
            endpoints.append(
                _Endpoint(
                    side="producer" if operation.action == "send" else "consumer",
                    attribute=_snake_case(key),
                    kind=_kind(operation),
                    key=key,
                    types=types,
                    doc=_doc(key, (raw.get("operations") or {}).get(key) or {}, operation),
                    sender=_sender(operation, senders),
                )
            )
        return endpoints

    def _senders(self) -> dict[str, str]:
        """Each channel (its subject pattern) and the `ce-source` of the one document that
        sends on it (`make lint` allows one). A document of devices, whose root
        `x-accord-identity` names the parameter that identifies each device, sends as
        `/acme/<document>/{<parameter>}`: each device is its own source."""
        senders: dict[str, str] = {}
        for document in self.documents:
            contract = self.contracts[document.path]
            per = contract.identity_parameter
            source = document.source + (f"/{{{per}}}" if per else "")
            for operation in contract.operations.values():
                if operation.action == "send":
                    senders[operation.pattern] = source
        return senders


def _kind(operation: OperationSpec) -> str:
    if operation.reply is not None:
        return "RpcClient" if operation.action == "send" else "RpcServer"
    if operation.action == "send":
        return "Publisher"
    return "Subscriber" if operation.consumer is not None else "CoreSubscriber"


def _doc(key: str, raw: Mapping[str, Any], operation: OperationSpec) -> str:
    text = raw.get("summary") or raw.get("title") or raw.get("description") or key
    if operation.action == "send" and operation.parameters:
        text = (
            f"{text} On {operation.address}: `parameters=` or the payload fill in each parameter."
        )
    return " ".join(str(text).split()).replace('"""', "'''")


def _sender(operation: OperationSpec, senders: Mapping[str, str]) -> str:
    if operation.action != "receive" or operation.reply is not None:
        return ""
    sender = senders.get(operation.pattern)
    return f", sender={literal(sender)}" if sender else ""


def _nested_classes(code: str, roots: set[str]) -> set[str]:
    """The classes of a models module that `roots` use in their fields, however deep (an
    enum written inline in a payload, say)."""
    uses: dict[str, set[str]] = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.ClassDef):
            uses[node.name] = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    found, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        for used in uses.get(name, set()):
            if used in uses and used not in found and used not in roots:
                found.add(used)
                todo.append(used)
    return found


def _no_clash(package: str, own: list[str], imports: Mapping[str, set[str]]) -> None:
    imported = [name for names in imports.values() for name in names]
    clashes = sorted(set(own) & set(imported)) + sorted(
        {n for n in imported if imported.count(n) > 1}
    )
    if clashes:
        raise ValueError(f"{package}: two definitions named {', '.join(clashes)}; rename one")


def _imports(imports: Mapping[str, set[str]]) -> list[tuple[str, list[str]]]:
    return [(module, sorted(names)) for module, names in sorted(imports.items()) if names]


_ENVIRONMENT = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)
_ENVIRONMENT.filters["repr"] = lambda value: literal(value)


def _render(template: str, **context: Any) -> str:
    return _ENVIRONMENT.get_template(template).render(**context)


def _tidy(out: Path) -> None:
    """Imports sorted and unused ones dropped, then formatted: the house's ruff settings, the
    same on every machine (ruff is pinned in the lock)."""
    from accord.codegen._protobuf import _tool

    ruff = _tool("ruff")
    fix = [ruff, "check", "--isolated", "--no-cache", "--select", "I,F401", "--fix", "--quiet"]
    fix += ["--config", 'lint.isort.known-first-party = ["accord"]', "."]
    subprocess.run([*fix, "--line-length", "100"], cwd=out, check=True)
    subprocess.run(
        [ruff, "format", "--isolated", "--no-cache", "--line-length", "100", "--quiet", "."],
        cwd=out,
        check=True,
    )


def _snake_case(name: str) -> str:
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.replace("-", "_"))
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).replace(".", "_").lower()
