"""The edge as a process: `python -m gateway` runs Envoy, and Envoy never outlives it."""

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from accord.tooling.nats_cluster import free_ports
from tests.integration.gateway.echo_backend import EchoBackend

pytestmark = pytest.mark.integration


def _envoy_children(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(c) for c in children if Path(f"/proc/{c}/comm").read_text().strip() == "envoy"]


async def test_a_killed_control_plane_takes_its_envoy_with_it(
    backend: EchoBackend, auth_home: Path, tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    env = {
        **os.environ,
        "ACCORD_HOME": str(auth_home),
        "ACCORD_MODE": "development",
        "ACCORD_GATEWAY_LISTEN": f"127.0.0.1:{port}",
        "ACCORD_GATEWAY_METRICS_LISTEN": "",
        "ACCORD_GATEWAY_ROUTES": json.dumps({"accordtest.echo": [backend.address]}),
        "ACCORD_GATEWAY_CONFIG_DIR": str(tmp_path),
    }
    control = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            await health.Check(health_pb2.HealthCheckRequest(), wait_for_ready=True, timeout=60)
        (envoy,) = _envoy_children(control.pid)
        control.send_signal(signal.SIGKILL)
        await control.wait()
        for _ in range(200):
            if _gone(envoy):
                break
            await asyncio.sleep(0.05)
        assert _gone(envoy)
    finally:
        if control.returncode is None:
            control.kill()
            await control.wait()


def _gone(pid: int) -> bool:
    """Ended: no such process, or one that only waits to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "zombie" in state.lower()
