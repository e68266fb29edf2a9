"""AsyncAPI documents read as plain data, every `$ref` replaced by what it points to.

The runtime and provisioning need the raw document: asyncapi-python's parser drops the
root `x-jetstream` section and keeps payload schemas as unresolved references.
"""

from pathlib import Path
from typing import Any

import yaml

Document = dict[str, Any]


class _JsonYamlLoader(yaml.SafeLoader):
    """YAML read as JSON would be: dates and times stay strings."""


_JsonYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def service_documents(root: Path) -> list[Path]:
    """The per-service documents: the YAML files directly in `asyncapi/` (not shared parts)."""
    return sorted((root / "asyncapi").glob("*.yaml"))


def load_document(path: Path) -> Document:
    """Read the AsyncAPI document at `path` with its references (local and to other files)
    inlined. A reference cycle is an error: event payloads are finite trees."""
    document = _read(path.resolve())
    resolved = _inline(document, path.resolve(), {}, ())
    if not isinstance(resolved, dict):
        raise ValueError(f"{path}: an AsyncAPI document must be a mapping")
    return resolved


def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as stream:
        return yaml.load(stream, Loader=_JsonYamlLoader)


def _inline(node: Any, base: Path, files: dict[Path, Any], stack: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, base, files, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return {key: _inline(value, base, files, stack) for key, value in node.items()}
    file_part, _, pointer = ref.partition("#")
    target_file = (base.parent / file_part).resolve() if file_part else base
    key = f"{target_file}#{pointer}"
    if key in stack:
        raise ValueError(f"{base}: reference cycle through {ref!r}")
    if target_file not in files:
        files[target_file] = _read(target_file)
    target = _follow(files[target_file], pointer, ref)
    return _inline(target, target_file, files, (*stack, key))


def _follow(document: Any, pointer: str, ref: str) -> Any:
    node = document
    for raw in (part for part in pointer.split("/") if part):
        part = raw.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ValueError(f"reference {ref!r} points at nothing") from None
    return node
