"""The SDKs' version follows the contracts, and each change leaves a changelog entry.

`sdk/contracts/` keeps a copy of the contracts the current version was generated from
(`buf.yaml`, its proto module, `asyncapi/`). When today's contracts differ from that copy,
the version moves:

- major, when `make breaking`'s checks (buf breaking with the FILE rules, the policy and
  lifecycle option checks, the AsyncAPI evolution checks) find a breaking change;
- minor, when something was added (a service, method, message, field, enum value, event or
  payload property);
- patch, for anything else (comments, options that only grant more).

The copy is then rewritten to today's contracts, so a second `make codegen` changes nothing,
and `make codegen-check` fails on a contract change that was not regenerated.
"""

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import descriptor_pb2

from accord.tooling.contracts import _buf
from accord.tooling.contracts._evolution import asyncapi_changes, flatten
from accord.tooling.contracts._option_changes import option_changes
from accord.tooling.contracts._sources import Source, WorkingTree
from accord.events._document import resolve

RECORD = Path("contracts")  # under sdk/
CHANGELOG = Path("CHANGELOG.md")
FIRST_VERSION = "1.0.0"
_HEADING = re.compile(r"^## (\d+)\.(\d+)\.(\d+)\b", re.MULTILINE)
_TITLE = (
    "# Changelog\n\n"
    "The acme SDKs (Python and TypeScript) share one version, which follows the contracts.\n"
)


@dataclass(frozen=True)
class Release:
    version: str
    changelog: str  # the whole CHANGELOG.md
    record: dict[Path, bytes]  # sdk/contracts/..., to write back


def release(root: Path, image: descriptor_pb2.FileDescriptorSet, sdk: Path) -> Release:
    """The version and changelog for the contracts at `root` (compiled into `image`), given
    what `sdk` (the committed sdk/ folder) last recorded."""
    record = {RECORD / path: data for path, data in _contract_files(root).items()}
    old_changelog = (sdk / CHANGELOG).read_text() if (sdk / CHANGELOG).exists() else ""
    old_version = _version_of(old_changelog)
    recorded = sdk / RECORD
    if old_version is None or not (recorded / "buf.yaml").exists():
        entry = _entry(FIRST_VERSION, "First release.", [], _first_contents(image, root))
        return Release(FIRST_VERSION, f"{_TITLE}\n{entry}", record)
    if _contract_files(recorded) == _contract_files(root):
        return Release(old_version, old_changelog, record)
    # buf reads the record from a folder of its own: inside the repository, the workspace's
    # buf.yaml would claim its files too.
    # Both sides as built images, as `make breaking` compares them.
    with tempfile.TemporaryDirectory(prefix="accord-sdk-record-") as scratch:
        copy, against, current = (
            Path(scratch) / name for name in ("contracts", "against.binpb", "current.binpb")
        )
        shutil.copytree(recorded, copy)
        before = _buf.build(root, str(copy), out=against)
        _buf.build(root, out=current)
        breaking = _buf.breaking(root, str(against), str(current))
    breaking += option_changes(before, image)
    breaking += asyncapi_changes(WorkingTree(recorded), WorkingTree(root))
    added = sorted(
        (_names(image) | _event_names(WorkingTree(root)))
        - (_names(before) | _event_names(WorkingTree(recorded)))
    )
    major, minor, patch = (int(part) for part in old_version.split("."))
    if breaking:
        version, kind = f"{major + 1}.0.0", "Breaking changes: a new major version."
    elif added:
        version, kind = f"{major}.{minor + 1}.0", "Additions: a new minor version."
    else:
        version, kind = f"{major}.{minor}.{patch + 1}", "Documentation and compatible changes."
    body = old_changelog.removeprefix(_TITLE).lstrip("\n")
    return Release(version, f"{_TITLE}\n{_entry(version, kind, breaking, added)}\n{body}", record)


def _contract_files(root: Path) -> dict[Path, bytes]:
    """buf.yaml, the .proto files of its modules, and asyncapi/ (shared parts included)."""
    files = {Path("buf.yaml"): (root / "buf.yaml").read_bytes()}
    modules = yaml.safe_load(files[Path("buf.yaml")]).get("modules") or [{"path": "."}]
    folders = [root / module["path"] for module in modules] + [root / "asyncapi"]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".proto", ".yaml") and path.is_file():
                files[path.relative_to(root)] = path.read_bytes()
    return files


def _version_of(changelog: str) -> str | None:
    found = _HEADING.search(changelog)
    return ".".join(found.groups()) if found else None


def _entry(version: str, kind: str, breaking: list[str], added: list[str]) -> str:
    lines = [f"## {version}", "", kind, ""]
    if breaking:
        lines += ["Breaking:", "", *(f"- {line}" for line in breaking), ""]
    if added:
        lines += ["Added:", "", *(f"- {line}" for line in added), ""]
    return "\n".join(lines)


def _names(image: descriptor_pb2.FileDescriptorSet) -> set[str]:
    """Every service, method, message, field and enum value of the acme packages."""
    names: set[str] = set()
    for proto in image.file:
        if not proto.package.startswith("acme."):
            continue
        for service in proto.service:
            names.add(f"service {proto.package}.{service.name}")
            names.update(f"method {proto.package}.{service.name}.{m.name}" for m in service.method)
        stack = [(proto.package, message) for message in proto.message_type]
        enums = [(proto.package, enum) for enum in proto.enum_type]
        while stack:
            prefix, message = stack.pop()
            full = f"{prefix}.{message.name}"
            names.add(f"message {full}")
            names.update(f"field {full}.{field.name}" for field in message.field)
            stack += [(full, nested) for nested in message.nested_type]
            enums += [(full, enum) for enum in message.enum_type]
        for prefix, enum in enums:
            names.update(f"enum value {prefix}.{enum.name}.{v.name}" for v in enum.value)
    return names


def _event_names(source: Source) -> set[str]:
    """Each event a document publishes (`send`), and the properties of its payload."""
    names: set[str] = set()
    for name in source.asyncapi_documents():
        document: Any = resolve(name, source.read).resolved
        for operation in (document.get("operations") or {}).values():
            if operation.get("action") != "send":
                continue
            for message in operation.get("messages") or []:
                title = f"{name}: {message.get('name', '?')}"
                names.add(f"event {title} on {operation.get('channel', {}).get('address')}")
                payload = message.get("payload") or {}
                names.update(f"event property {title}.{path}" for path in _properties(payload))
    return names


def _properties(schema: Any, prefix: str = "") -> list[str]:
    """The property paths of a JSON Schema: `lines[].sku` for an array of objects."""
    if not isinstance(schema, dict):
        return []
    merged = flatten(schema)
    paths = []
    for key, value in (merged.get("properties") or {}).items():
        path = f"{prefix}{key}"
        paths.append(path)
        paths += _properties(value, f"{path}.")
    items = merged.get("items")
    if isinstance(items, dict):
        paths += _properties(items, f"{prefix.removesuffix('.')}[].")
    return paths


def _first_contents(image: descriptor_pb2.FileDescriptorSet, root: Path) -> list[str]:
    services = sorted(n for n in _names(image) if n.startswith("service "))
    events = sorted(n for n in _event_names(WorkingTree(root)) if n.startswith("event asyncapi"))
    return services + events
