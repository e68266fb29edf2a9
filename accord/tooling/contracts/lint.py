"""`accord lint`: the contract checks that buf cannot do.

- every AsyncAPI document valid against the official AsyncAPI 3.0.0 JSON Schema, and each
  message payload a valid JSON Schema;
- the `x-jetstream` extension valid against its schema, plus the topology rules;
- one sending service per channel, and channel parameters that match their addresses;
- every RPC of the module with a usable policy, and every deprecation complete;
- call options (default deadlines, stream resumption) that a client can act on.

Each problem is one line that names the document or method, and where.
"""

from pathlib import Path
from typing import Any

import yaml

from accord.events._document import resolve
from accord.tooling.contracts import _buf
from accord.tooling.contracts._asyncapi import check_payloads, reference_only, validate_document
from accord.tooling.contracts._calls import lint_calls
from accord.tooling.contracts._channels import lint_channels
from accord.tooling.contracts._jetstream import lint_jetstream
from accord.tooling.contracts._policy import lint_policies
from accord.tooling.contracts._sources import Source, WorkingTree


def lint_repository(root: Path) -> list[str]:
    """Every problem of the contracts in the working tree at `root`; empty means they pass."""
    return lint_asyncapi(WorkingTree(root)) + lint_protobuf(root)


def lint_asyncapi(source: Source) -> list[str]:
    problems: list[str] = []
    documents: dict[str, Any] = {}
    for name in source.asyncapi_documents():
        try:
            view = resolve(name, source.read, keep=reference_only)
            full = resolve(name, source.read)
        except (OSError, yaml.YAMLError) as error:
            problems.append(f"{name}: cannot read: {error}")
            continue
        problems += view.problems
        problems += validate_document(name, view.resolved)
        problems += check_payloads(name, full.resolved)
        documents[name] = full.resolved
    return problems + lint_jetstream(documents) + lint_channels(documents)


def lint_protobuf(root: Path) -> list[str]:
    if not (root / "buf.yaml").exists():
        return []
    try:
        image = _buf.build(root)
        own = _buf.own_files(root)
    except _buf.BufError as error:
        return [str(error)]
    return lint_policies(image, own) + lint_calls(image, own)
