"""`$ref` resolution for AsyncAPI documents: pointers within a file and into other files.

Files are addressed by virtual URIs under file:/// (the repository root) and read through
a `Source`, so a branch's documents resolve against that branch's shared files. Pointer
lookup is `referencing`'s (jsonschema's own resolver library).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urljoin

import yaml
from referencing import Registry, Resource
from referencing.exceptions import PointerToNowhere, Unresolvable, Unretrievable

from accord.tooling.contracts._sources import Source

ROOT = "file:///"


class _JsonYamlLoader(yaml.SafeLoader):
    """YAML that reads as JSON would: dates stay strings (JSON Schema has no date type)."""


_JsonYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_JsonYamlLoader)


@dataclass
class Resolution:
    """A document as written (`raw`) and with every `$ref` replaced by its target."""

    raw: Any
    resolved: Any
    problems: list[str] = field(default_factory=list)


Location = tuple[str | int, ...]


def resolve(
    path: str, source: Source, keep: Callable[[Location], bool] = lambda at: False
) -> Resolution:
    """Read `path` from `source` and inline its references, except where `keep(at)` says a
    reference must stay one. A reference that loops back on itself (a recursive schema) also
    stays a `$ref`. Raises FileNotFoundError or yaml.YAMLError for the document itself."""
    retrieve = _retriever(source)
    # `retrieve` is Registry's documented keyword; mypy's attrs plugin misses its alias.
    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    uri = ROOT + path
    raw = retrieve(uri).contents
    problems: list[str] = []
    unresolved: set[str] = set()

    def inline(node: Any, base: str, stack: tuple[str, ...], at: Location) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not keep(at):
                target = urljoin(base, ref)
                if target in stack:
                    return node
                try:
                    found = registry.resolver().lookup(target).contents
                except (Unresolvable, FileNotFoundError, yaml.YAMLError) as error:
                    if target not in unresolved:  # say it once, where it is first used
                        unresolved.add(target)
                        problems.append(
                            f"{path}: {json_path(at)}: cannot resolve $ref {ref!r}: {_why(error)}"
                        )
                    return node
                return inline(found, urldefrag(target).url, (*stack, target), at)
            return {k: inline(v, base, stack, (*at, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, base, stack, (*at, i)) for i, v in enumerate(node)]
        return node

    return Resolution(raw, inline(raw, uri, (), ()), problems)


def json_path(at: Iterable[str | int]) -> str:
    """$.channels.orderPlaced.messages[0], the way jsonschema's `json_path` spells it."""
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at)


def _why(error: BaseException) -> str:
    """The first cause that says something: referencing wraps the reader's own error."""
    if isinstance(error, PointerToNowhere):
        return "the file has nothing at that pointer"
    if isinstance(error, Unresolvable | Unretrievable) and error.__cause__ is not None:
        return _why(error.__cause__)
    return " ".join(str(error).split())[:200]


def _retriever(source: Source) -> Callable[[str], Resource[Any]]:
    cache: dict[str, Resource[Any]] = {}

    def retrieve(uri: str) -> Resource[Any]:
        if uri not in cache:
            if not uri.startswith(ROOT):
                raise FileNotFoundError(f"{uri} is outside the repository")
            cache[uri] = Resource.opaque(load_yaml(source.read(uri.removeprefix(ROOT))))
        return cache[uri]

    return retrieve
