"""`make cluster` by hand: start, read the banner, kill a node, restart it, Ctrl-C."""

import asyncio
import os
import pty
import re
import signal
import sys
from pathlib import Path

import nats
import nats.errors
import pytest

from accord.nats_auth import DEVELOPER, development_password
from accord.settings import CommonSettings
from tests.support.processes import alive

pytestmark = pytest.mark.integration

# The last line of a status the cluster prints: the stream's, or the one saying no stream
# list came; and how often the test asks for the status before it gives up.
_STATUS_END = r"stream HAND: |streams: no answer"
_STATUS_ASKS = 30

# `accord cluster` is this function (accord/tooling/cli.py wires it).


async def _until(stdout: asyncio.StreamReader, pattern: str) -> list[str]:
    """Lines read up to and including the first that matches `pattern`."""
    seen: list[str] = []
    try:
        # A bound only so that a failure shows what was printed, not a bare pytest timeout.
        async with asyncio.timeout(60):
            while line := (await stdout.readline()).decode():
                seen.append(line)
                if re.search(pattern, line):
                    return seen
    except TimeoutError:
        pass
    raise AssertionError(f"no line matched {pattern!r}:\n{''.join(seen)}")


async def test_make_cluster_prints_nats_url_restarts_killed_nodes_and_stops_on_ctrl_c(
    tmp_path: Path,
) -> None:
    terminal, typing_end = pty.openpty()  # stdin must be a terminal for the Enter commands
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "accord",
        "cluster",
        env={**os.environ, "ACCORD_HOME": str(tmp_path)},
        stdin=typing_end,
        stdout=asyncio.subprocess.PIPE,
    )
    os.close(typing_end)
    assert process.stdout is not None
    try:
        banner = "".join(await _until(process.stdout, r"^Enter: "))
        found = re.search(r"export NATS_URL=(\S+)", banner)
        assert found is not None
        nats_url = found.group(1)
        assert len(nats_url.split(",")) == 3
        assert (tmp_path / "cluster" / "nats.url").read_text().strip() == nats_url
        pids = [int(pid) for pid in re.findall(r"\bpid (\d+)", banner)]
        assert len(pids) == 3

        # Nothing anonymous: a script connects as the developer (development only). The
        # refusal comes once the server gave up waiting for the devices service (not
        # running here), which decides about connections that are no configured user.
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await nats.connect(nats_url.split(",")[0], allow_reconnect=False, connect_timeout=10)
        password = development_password(CommonSettings(), DEVELOPER)
        nc = await nats.connect(servers=nats_url.split(","), user=DEVELOPER, password=password)
        try:
            info = await nc.jetstream().add_stream(name="HAND", subjects=["hand"], num_replicas=3)
            assert info.config.num_replicas == 3
        finally:
            await nc.close()

        os.kill(pids[0], signal.SIGKILL)  # what the banner tells a person to do
        await _until(process.stdout, r"n1 is down")
        os.write(terminal, b"r\n")
        await _until(process.stdout, r"restarting n1")
        # Just after a restart the cluster may not answer yet: the status then ends in
        # "streams: no answer now" (no stream list) or "stream HAND: no answer now". Ask
        # again (Enter) until it shows the stream on its three replicas.
        status = "".join(await _until(process.stdout, _STATUS_END))
        for _ in range(_STATUS_ASKS):
            if "stream HAND: R3" in status:
                break
            os.write(terminal, b"\n")
            status = "".join(await _until(process.stdout, _STATUS_END))
        assert "stream HAND: R3" in status, status
        restarted = re.search(r"n1 .* up, pid (\d+)", status)
        assert restarted is not None
        pids.append(int(restarted.group(1)))
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        code = await process.wait()
        os.close(terminal)
    assert code == 0
    assert not any(alive(pid) for pid in pids)
    assert not (tmp_path / "cluster" / "nats.url").exists()
