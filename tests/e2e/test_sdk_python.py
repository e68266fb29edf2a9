"""The Python SDK as its users get it: the wheel `make sdk` builds, installed into a fresh
virtual environment (nothing of this repository on its path), drives the real platform:
every API version, typed error details, a deprecation warning, a retry after UNAVAILABLE,
typed events from a durable JetStream consumer, and the README's first example as written."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Platform
from tests.e2e.sdk.tour import SCOPES, first_example
from tests.support.processes import output_of

pytestmark = pytest.mark.e2e

DRIVER = Path(__file__).parent / "sdk" / "drive_python.py"


@pytest.fixture(scope="session")
async def sdk_python(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv holding the wheel built from sdk/python (and its deps).
    Built in a thread: the services of this process keep answering the edge meanwhile."""
    return await asyncio.to_thread(_install_the_wheel, repo_root, tmp_path_factory)


def _install_the_wheel(repo_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sdk-python")
    source = work / "source"
    shutil.copytree(repo_root / "sdk" / "python", source)  # builds leave files behind
    build = ["wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(work / "dist")]
    subprocess.run([sys.executable, "-m", "pip", *build, str(source)], check=True)
    (wheel,) = (work / "dist").glob("acme_sdk-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(work / "venv")], check=True)
    python = work / "venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        check=True,
    )
    return python


async def _run(python: Path, *args: str, env: dict[str, str], cwd: Path) -> str:
    """`python` (the fresh venv's) with nothing of this process's environment but PATH."""
    env = {"PATH": os.environ.get("PATH", ""), **env}
    return await output_of(str(python), *args, env=env, cwd=cwd, timeout=90)


def _env(platform: Platform) -> dict[str, str]:
    return {
        "ACCORD_EDGE": platform.address,
        "TOKEN": platform.token("sdk-tourist", *SCOPES),
        "CUSTOMER": "sdk-tourist",
        "NATS_URL": platform.nats_url,
    }


async def test_the_wheel_in_a_fresh_venv_drives_every_api_version(
    platform: Platform, sdk_python: Path, tmp_path: Path
) -> None:
    seen: dict[str, Any] = json.loads(
        await _run(sdk_python, str(DRIVER), "tour", env=_env(platform), cwd=tmp_path)
    )
    answered = seen["versions"]
    # Every version answered for itself: a result or the service's own refusal.
    assert set(answered) == {
        "acme.banking.v1",
        "acme.devices.v1",
        "acme.inventory.v1",
        "acme.marketing.v1",
        "acme.monitor.v1",
        "acme.notifications.v1",
        "acme.orders.v1",
        "acme.orders.v2",
        "acme.payments.v1",
        "acme.pricing.v1",
        "acme.shipping.v1",
        "acme.support.v1",
    }
    assert set(answered.values()) <= {"ok", "NOT_FOUND"}, answered
    assert answered["acme.orders.v2"] == "ok"
    assert seen["invalid"]["code"] == "INVALID_ARGUMENT"
    assert "lines" in seen["invalid"]["fields"]
    assert seen["not_found"]["reason"] == "ORDER_NOT_FOUND"
    assert any("acme.orders.v1.OrderService is deprecated" in w for w in seen["deprecations"])
    assert seen["event"]["type"] == "OrderPlaced"
    assert seen["event"]["customerId"] == "sdk-tourist"
    assert seen["event"]["source"] == "/acme/orders"


async def test_a_call_safe_to_retry_comes_through_a_backend_restart(
    platform: Platform, sdk_python: Path, tmp_path: Path
) -> None:
    shipping = platform.services["shipping"]
    await shipping.stop(0)  # the edge now answers UNAVAILABLE for shipping
    try:
        driver = asyncio.ensure_future(
            _run(sdk_python, str(DRIVER), "retry", env=_env(platform), cwd=tmp_path)
        )
        await asyncio.sleep(2.0)
        assert not driver.done()
    finally:
        platform.services["shipping"] = await shipping.start_again()
    seen = json.loads(await driver)
    # Several attempts met UNAVAILABLE; the last one reached shipping, which answered.
    assert seen["attempts"] > 1
    assert seen["outcome"] == "NOT_FOUND"


async def test_the_readmes_first_example_runs_as_written(
    platform: Platform, sdk_python: Path, repo_root: Path, tmp_path: Path
) -> None:
    script = first_example(repo_root / "sdk" / "python" / "README.md", "python", platform.address)
    (tmp_path / "example.py").write_text(script)
    token = platform.token("alice", "orders:read", "orders:write")
    printed = await _run(sdk_python, "example.py", env={"TOKEN": token}, cwd=tmp_path)
    order_id, status = printed.split()
    assert order_id
    assert status.startswith("ORDER_STATUS_")
