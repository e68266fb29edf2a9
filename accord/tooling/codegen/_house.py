"""The documents generated together, the definitions their messages reach, and the files of
each package: every definition written once, in the package of the file that defines it."""

import posixpath
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from accord.events import Contract, load_document
from accord.events._document import Files
from accord.tooling.codegen._definitions import (
    Definition,
    Definitions,
    in_file_order,
    reached,
    written,
)
from accord.tooling.codegen._literal import Name, literal
from accord.tooling.codegen._models import classes_used_by, render_models
from accord.tooling.codegen._router import endpoints, senders_of

TEMPLATES = Path(__file__).parent / "templates"

Package = dict[str, tuple[str, str]]
"""A package's files: path in the package → (text, the document or folder it comes from)."""


@dataclass(frozen=True)
class Document:
    """One document to generate a package from."""

    path: str  # relative to the root the files are read from: asyncapi/orders.yaml
    package: str  # acme_events.orders
    source: str  # the default `ce-source` of the application's events


class House:
    """`documents` (each becomes a package) and `shared` files (file → the package that
    holds their definitions), read from `root`."""

    def __init__(self, root: Path, documents: list[Document], shared: Mapping[str, str]) -> None:
        self.documents = documents
        self.packages = {d.path: d.package for d in documents} | dict(shared)
        self.files = Files(lambda path: (root / path).read_text(encoding="utf-8"))
        definitions = Definitions(self.files)
        self.contracts = {
            d.path: Contract.from_document(load_document(root / d.path)) for d in documents
        }
        self.messages = {
            d.path: {
                key: (
                    definitions.message(d.path, key),
                    definitions.message(d.path, key, reply=True) if operation.reply else None,
                )
                for key, operation in self.contracts[d.path].operations.items()
            }
            for d in documents
        }

    def owner(self, definition: Definition) -> str:
        """The package a definition is written in: that of the file that defines it."""
        if definition.file not in self.packages:
            raise ValueError(
                f"{definition.file} defines {definition.name}, which a generated document uses: "
                "generate it with them (a service document, or a shared part in asyncapi/common/)"
            )
        return self.packages[definition.file]

    def render(self, senders: Mapping[str, str] | None = None) -> dict[str, Package]:
        """Every package by its dotted name. `senders` gives the `ce-source` a consumer accepts
        on each channel pattern; by default, the sender among the documents."""
        every = [
            m for d in self.documents for pair in self.messages[d.path].values() for m in pair if m
        ]
        for message in every:
            if not message.payload.model:
                raise ValueError(f"{message.file}: the payload of {message.name} is not an object")
        payloads = {_place(d) for d in reached([m.payload for m in every])}
        schemas = reached([m.payload for m in every] + [m.headers for m in every if m.headers])
        packages: dict[str, Package] = defaultdict(dict)
        services = {d.package for d in self.documents}
        for package in sorted({self.owner(d) for d in schemas}):
            origin = self._origin(package)
            owned = in_file_order([d for d in schemas if self.owner(d) == package], self.files)
            packages[package]["schemas.py"] = (self._schemas(package, owned), origin)
            models = [d for d in owned if _place(d) in payloads and d.model]
            if models:
                code = render_models(models, lambda d: f"{self.owner(d)}.models")
                packages[package]["models.py"] = (
                    render("models.py.j2", where=origin, code=code),
                    origin,
                )
            if package not in services:
                packages[package]["__init__.py"] = (
                    render("common_init.py.j2", origin=origin),
                    origin,
                )
        models_code = {
            p: files["models.py"][0] for p, files in packages.items() if "models.py" in files
        }
        by_source = {d.source: self.contracts[d.path] for d in self.documents}
        chosen = senders_of(by_source) if senders is None else senders
        for document in self.documents:
            files = self._service_package(document, chosen, models_code)
            packages[document.package].update({n: (t, document.path) for n, t in files.items()})
        return packages

    def _origin(self, package: str) -> str:
        """The document a package comes from, or the folder of the shared files it holds."""
        paths = sorted(path for path, owner in self.packages.items() if owner == package)
        return paths[0] if len(paths) == 1 else posixpath.commonpath(paths) + "/"

    def _schemas(self, package: str, owned: list[Definition]) -> str:
        """schemas.py: a constant per definition; one that uses another names it."""
        imports: dict[str, set[str]] = defaultdict(set)

        def name_of(used: Definition) -> Name:
            if self.owner(used) != package:
                imports[f"{self.owner(used)}.schemas"].add(used.constant)
            return Name(used.constant)

        body = "\n".join(
            f"{d.constant}: Mapping[str, Any] = {literal(written(d, name_of))}\n" for d in owned
        )
        _no_clash(package, [d.constant for d in owned], imports)
        return render(
            "schemas.py.j2", where=self._origin(package), imports=_imports(imports), body=body
        )

    def _service_package(
        self, document: Document, senders: Mapping[str, str], models_code: Mapping[str, str]
    ) -> dict[str, str]:
        raw = self.files.raw(document.path)
        info = raw.get("info") or {}
        context = {
            "title": str(info.get("title", "?")),
            "version": str(info.get("version", "0.0.0")),
            "asyncapi_version": str(raw.get("asyncapi", "")),
            "source": document.source,
            "document": document.path,
        }
        contract, messages = self.contracts[document.path], self.messages[document.path]
        operations = raw.get("operations") or {}
        return {
            "__init__.py": render("__init__.py.j2", **context),
            "application.py": render("application.py.j2", **context),
            "router.py": render(
                "router.py.j2",
                endpoints=endpoints(contract, messages, operations, senders),
                **context,
            ),
            "contract.py": self._contract(document, context),
            "messages/__init__.py": render("messages_init.py.j2", **context),
            "messages/json/__init__.py": self._facade(document, context, models_code),
        }

    def _contract(self, document: Document, context: Mapping[str, str]) -> str:
        """contract.py: the typed contract, each message's schemas named, not repeated."""
        contract = self.contracts[document.path]
        names: dict[int, Name] = {}  # by the id of the schema object in `contract`
        imports: dict[str, set[str]] = defaultdict(set)
        for key, (message, reply) in self.messages[document.path].items():
            operation = contract.operations[key]
            read = [(operation.message, message)]
            if reply is not None and operation.reply is not None:
                read.append((operation.reply, reply))
            for spec, at in read:
                for schema, definition in (
                    (spec.payload_schema, at.payload),
                    (spec.headers_schema, at.headers),
                ):
                    if schema is not None and definition is not None:
                        imports[f"{self.owner(definition)}.schemas"].add(definition.constant)
                        names[id(schema)] = Name(definition.constant)
        kinds: set[str] = set()

        def rewrite(value: Any) -> Any:
            if type(value).__module__ == Contract.__module__:
                kinds.add(type(value).__name__)
            return names.get(id(value), value)

        body = literal(contract, rewrite)
        _no_clash(document.package, sorted(kinds), imports)
        return render(
            "contract.py.j2",
            kinds=", ".join(sorted(kinds)),
            imports=_imports(imports),
            body=body,
            **context,
        )

    def _facade(
        self, document: Document, context: Mapping[str, str], models_code: Mapping[str, str]
    ) -> str:
        """messages/json: the models of the document's messages and the classes they use,
        imported from the packages that define them."""
        roots = [m.payload for pair in self.messages[document.path].values() for m in pair if m]
        by_owner: dict[str, set[str]] = defaultdict(set)
        for definition in reached(roots):
            if definition.model:
                by_owner[self.owner(definition)].add(definition.name)
        for owner, names in by_owner.items():
            names |= classes_used_by(models_code[owner], names)
        exported = sorted(n for names in by_owner.values() for n in names)
        if len(exported) != len(set(exported)):
            raise ValueError(f"{document.path}: two models of its messages have one name")
        imports = _imports({f"{owner}.models": names for owner, names in by_owner.items()})
        return render("messages_json.py.j2", imports=imports, names=exported, **context)


def _place(definition: Definition) -> tuple[str, str]:
    return definition.file, definition.pointer


def _no_clash(package: str, own: list[str], imports: Mapping[str, set[str]]) -> None:
    imported = [name for names in imports.values() for name in names]
    clashes = sorted(set(own) & set(imported) | {n for n in imported if imported.count(n) > 1})
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
_ENVIRONMENT.filters["repr"] = literal


def render(template: str, **context: Any) -> str:
    return _ENVIRONMENT.get_template(template).render(**context)
