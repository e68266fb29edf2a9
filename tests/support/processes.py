"""Processes a test starts: whether one is still running, and a command run to its end."""

import asyncio
from pathlib import Path
from typing import NamedTuple


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped (Linux: its /proc state)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # The state follows the command name in parentheses, which may itself hold spaces.
    return stat.rpartition(")")[2].split()[0] != "Z"


class Finished(NamedTuple):
    """A command that ran to its end: its exit code and what it printed on each stream."""

    code: int
    out: str
    err: str


async def finished(
    *command: str, timeout: float, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Finished:
    """Run `command` to its end without blocking the event loop (servers the test runs on it
    keep answering meanwhile); `timeout` seconds bound a broken run."""
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout)
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())


async def output_of(
    *command: str, timeout: float, cwd: Path | None = None, env: dict[str, str] | None = None
) -> str:
    """What `command` printed on stdout; the test fails, showing all it printed, unless the
    command succeeds."""
    done = await finished(*command, timeout=timeout, cwd=cwd, env=env)
    assert done.code == 0, done.err + done.out
    return done.out
