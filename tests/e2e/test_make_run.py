"""`accord run` (what `make run` calls) starts the platform, and its printed example works."""

import asyncio
import json
import re
import signal
import socket
from pathlib import Path

import pytest

from bench._common import accord_run, run_environment

pytestmark = pytest.mark.e2e


def _refuses_connections(url: str) -> bool:
    host, port = url.removeprefix("nats://").rsplit(":", 1)
    with socket.socket() as probe:
        return probe.connect_ex((host, int(port))) != 0


async def _read_banner(stdout: asyncio.StreamReader) -> str:
    lines: list[str] = []
    while True:
        line = (await stdout.readline()).decode()
        if not line:
            raise AssertionError("accord run ended before it was ready:\n" + "".join(lines))
        lines.append(line)
        if "acme.orders.v2.OrderService/PlaceOrder" in line:
            return "".join(lines)


async def test_run_starts_everything_and_the_printed_example_places_an_order(
    tmp_path: Path, repo_root: Path
) -> None:
    # Every port free: the defaults may be taken by another platform.
    env = run_environment(tmp_path / "home")
    platform = await accord_run(env)
    try:
        assert platform.stdout is not None
        banner = await asyncio.wait_for(_read_banner(platform.stdout), 60)
        nats_url = re.search(r"NATS\s+(nats://\S+)", banner)
        assert nats_url is not None
        assert (tmp_path / "home" / "nats.url").read_text().strip() == nats_url.group(1)

        # The printed lines exactly, run in a shell from the repository root as a user would.
        export = re.search(r"^  (export TOKEN=\S+)$", banner, re.MULTILINE)
        assert export is not None
        # The first of the contracts' examples: PlaceOrder, two lines.
        examples = banner.split("Try the contracts' examples through the gateway:", 1)[1]
        example = "\n".join(examples.strip("\n").splitlines()[:2])
        assert example.endswith("acme.orders.v2.OrderService/PlaceOrder")
        placed = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            f"{export.group(1)}\n{example}",
            cwd=repo_root,
            env=env,
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await placed.communicate()
        assert placed.returncode == 0
        order = json.loads(output)["order"]
        assert order["customerId"] == "alice"
        assert order["status"] == "ORDER_STATUS_PENDING"

        # The order-placed event reaches notifications, and alice reads it through the gateway.
        gateway = re.search(r"gateway\s+(127\.0\.0\.1:\d+)", banner)
        assert gateway is not None
        listed = f"""{export.group(1)}
        .venv/bin/grpcurl -plaintext -H "authorization: Bearer $TOKEN" \\
          -d '{{"customer_id": "alice"}}' {gateway.group(1)} \\
          acme.notifications.v1.NotificationService/ListNotifications"""
        for _ in range(50):
            reading = await asyncio.create_subprocess_exec(
                "bash", "-c", listed, cwd=repo_root, stdout=asyncio.subprocess.PIPE
            )
            found, _ = await reading.communicate()
            assert reading.returncode == 0
            notifications = json.loads(found).get("notifications", [])
            if notifications:
                break
            await asyncio.sleep(0.1)
        # The cascade goes on (payment, stock, shipping): later notifications may follow.
        assert notifications[0]["title"] == f"Order {order['orderId']} is confirmed"
    finally:
        if platform.returncode is None:
            platform.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(platform.wait(), 30)
    assert code == 0
    assert _refuses_connections(nats_url.group(1))
    assert not (tmp_path / "home" / "nats.url").exists()
