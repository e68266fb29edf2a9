"""The one AsyncAPI loader: documents read as plain data, every `$ref` replaced by what it
points to, within a file and across files.

The runtime's contracts, `make lint`, `make breaking`, `make streams` and `make codegen` all
read documents here. Files are named by repository-relative, slash-separated paths and read
through a `read` function, so that a branch's documents resolve against that branch's shared
files (`make breaking` reads a git ref). Pointer lookup is `referencing`'s (jsonschema's own
resolver library).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

import yaml
from referencing import Registry, Resource
from referencing.exceptions import PointerToNowhere, Unresolvable, Unretrievable

Document = dict[str, Any]
Location = tuple[str | int, ...]
Read = Callable[[str], str]
"""The text of a repository-relative file; FileNotFoundError when it is absent."""

ASYNCAPI_DIR = "asyncapi"
_ROOT = "file:///"


class _JsonYamlLoader(yaml.SafeLoader):
    """YAML read as JSON would be: dates and times stay strings (JSON Schema has no date)."""


_JsonYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_JsonYamlLoader)


def service_documents(root: Path) -> list[Path]:
    """The per-service documents: the YAML files directly in `asyncapi/`. Shared parts live in
    subfolders (`asyncapi/common/`) and are only reached through `$ref`."""
    return sorted(p for p in (root / ASYNCAPI_DIR).glob("*.yaml") if p.is_file())


@dataclass
class Resolution:
    """A document as written (`raw`) and with every `$ref` replaced by its target."""

    raw: Any
    resolved: Any
    problems: list[str] = field(default_factory=list)
    """References that could not be resolved, one line each; they stay `$ref`s."""
    loops: list[str] = field(default_factory=list)
    """References that lead back to themselves (a recursive schema); they stay `$ref`s."""


class Files:
    """Raw YAML files by repository-relative path, each read once, and what a `$ref` written
    in one of them points at. Raises FileNotFoundError or yaml.YAMLError for a file that
    cannot be read, referencing's Unresolvable for a pointer to nothing."""

    def __init__(self, read: Read) -> None:
        self._retrieve = _retriever(read)
        # `retrieve` is Registry's documented keyword; mypy's attrs plugin misses its alias.
        self._registry: Registry[Any] = Registry(retrieve=self._retrieve)  # type: ignore[call-arg]

    def raw(self, path: str) -> Any:
        """The file at `path` as written: references kept."""
        return self._retrieve(_ROOT + path).contents

    def target(self, path: str, ref: str) -> tuple[str, str, Any]:
        """The file, JSON pointer and node that `ref`, written in the file `path`, points at."""
        uri = urljoin(_ROOT + path, ref)
        node = self._registry.resolver().lookup(uri).contents
        file, pointer = urldefrag(uri)
        return file.removeprefix(_ROOT), pointer, node


def resolve(
    path: str, read: Read | Files, keep: Callable[[Location], bool] = lambda at: False
) -> Resolution:
    """Read `path` and inline its references, except where `keep(at)` says a reference must
    stay one. Raises FileNotFoundError or yaml.YAMLError for the document itself."""
    files = read if isinstance(read, Files) else Files(read)
    resolution = Resolution(files.raw(path), None)
    unresolved: set[tuple[str, str]] = set()

    def inline(node: Any, base: str, stack: tuple[tuple[str, str], ...], at: Location) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not keep(at):
                try:
                    file, pointer, found = files.target(base, ref)
                except (Unresolvable, FileNotFoundError, yaml.YAMLError) as error:
                    if (base, ref) not in unresolved:  # say it once, where it is first used
                        unresolved.add((base, ref))
                        resolution.problems.append(
                            f"{path}: {json_path(at)}: cannot resolve $ref {ref!r}: {_why(error)}"
                        )
                    return node
                if (file, pointer) in stack:
                    resolution.loops.append(f"{path}: {json_path(at)}: {ref!r} leads back")
                    return node
                return inline(found, file, (*stack, (file, pointer)), at)
            return {k: inline(v, base, stack, (*at, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v, base, stack, (*at, i)) for i, v in enumerate(node)]
        return node

    resolution.resolved = inline(resolution.raw, path, (), ())
    return resolution


def load_document(path: Path) -> Document:
    """The AsyncAPI document at `path`, every reference inlined. A reference that resolves to
    nothing, or a reference cycle, is an error: event payloads are finite trees."""
    # Named from the file system's root, so that `../` in a reference means what it says.
    name = path.resolve().as_posix().lstrip("/")
    resolution = resolve(name, lambda file: Path("/", file).read_text(encoding="utf-8"))
    if resolution.problems or resolution.loops:
        reasons = [*resolution.problems, *(f"reference cycle: {loop}" for loop in resolution.loops)]
        raise ValueError("\n".join(reasons))
    if not isinstance(resolution.resolved, dict):
        raise ValueError(f"{path}: an AsyncAPI document must be a mapping")
    return resolution.resolved


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


def _retriever(read: Read) -> Callable[[str], Resource[Any]]:
    cache: dict[str, Resource[Any]] = {}

    def retrieve(uri: str) -> Resource[Any]:
        if uri not in cache:
            if not uri.startswith(_ROOT):
                raise FileNotFoundError(f"{uri} is outside the repository")
            cache[uri] = Resource.opaque(load_yaml(read(uri.removeprefix(_ROOT))))
        return cache[uri]

    return retrieve
