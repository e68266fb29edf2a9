"""Adding a service is one folder under services/ plus its two contracts, with nothing else
edited (README, "Adding a service").

In a copy of the tree, a new service `gadgets` is added: support's folder, proto and AsyncAPI
document under a new name (package, scopes, stream, bucket, subjects, settings prefix and
port all its own), and no other file touched. `accord codegen` runs on the copy, as a
developer would (gen/python only). Then, in the copy, the service starts as `make run` finds
it, on a nats-server configured from the copy's contracts; the edge, configured from the same
contracts, routes to it and authorizes each call by the new contract's policies; and the
service applies the admin scope its contract names (tests/e2e/new_service_scenario.py).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

TEMPLATE, NEW = "support", "gadgets"
TEMPLATE_PORT, NEW_PORT = "50058", "50099"


def _renamed(text: str) -> str:
    for old, new in (
        (TEMPLATE, NEW),
        (TEMPLATE.title(), NEW.title()),
        (TEMPLATE.upper(), NEW.upper()),
    ):
        text = text.replace(old, new)
    return text


def _tracked(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name]


def _copy_tree(root: Path, copy: Path) -> None:
    for name in _tracked(root):
        source = root / name
        if source.is_file():
            target = copy / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (copy / ".venv").symlink_to(root / ".venv")  # the tools, not the tree


def _add_service(root: Path, copy: Path) -> list[Path]:
    """The new service's folder and contracts, written from support's; nothing else."""
    added = {
        copy / "proto/acme" / NEW / "v1" / f"{NEW}.proto": root
        / "proto/acme/support/v1/support.proto",
        copy / "asyncapi" / f"{NEW}.yaml": root / "asyncapi/support.yaml",
    }
    for module in sorted((root / "services" / TEMPLATE).glob("*.py")):
        added[copy / "services" / NEW / module.name] = module
    for target, source in added.items():
        assert not target.exists(), f"{target} is not new"
        text = _renamed(source.read_text())
        if target.name == "settings.py":
            assert TEMPLATE_PORT in text
            text = text.replace(TEMPLATE_PORT, NEW_PORT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return list(added)


def _run(copy: Path, *args: str, timeout: float) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ACCORD_") and key != "NATS_URL"
    }
    # The copy's packages first (its runtime, its services, its generated code).
    env["PYTHONPATH"] = os.pathsep.join([str(copy), str(copy / "gen/python")])
    done = subprocess.run(
        [sys.executable, *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory, repo_root: Path) -> dict[str, Any]:
    copy = tmp_path_factory.mktemp("tree")
    _copy_tree(repo_root, copy)
    added = _add_service(repo_root, copy)
    assert all(path.is_relative_to(copy) for path in added)
    # gen/python only: the SDKs are not what a service runs, and cost half the time.
    _run(copy, "-m", "accord", "codegen", "--python-only", timeout=600)
    home = tmp_path_factory.mktemp("new-service-home")
    out = _run(copy, "-m", "tests.e2e.new_service_scenario", NEW, str(home), timeout=180)
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def test_the_new_service_starts_and_is_routed_by_the_edge(answers: dict[str, Any]) -> None:
    assert answers["opened_for"] == "alice"
    assert answers["owner_gets_it"] == "OK"
    assert answers["owner_lists_own"] == "OK"


def test_the_edge_authorizes_it_from_its_contract(answers: dict[str, Any]) -> None:
    assert answers["without_credentials"] == "UNAUTHENTICATED"
    assert answers["without_the_scope"] == "PERMISSION_DENIED"
    assert answers["owner_lists_another"] == "PERMISSION_DENIED"  # the owner field
    assert answers["admin_lists_another"] == "OK"  # the policy's admin scope


def test_the_service_applies_its_contracts_admin_scope(answers: dict[str, Any]) -> None:
    assert answers["another_customer_gets_it"] == "NOT_FOUND"
    assert answers["admin_gets_it"] == "OK"
    assert answers["straight_at_the_service_unsigned"] == "UNAUTHENTICATED"


def test_its_events_go_to_its_own_stream(answers: dict[str, Any]) -> None:
    assert answers["events"] == ["alice"]
