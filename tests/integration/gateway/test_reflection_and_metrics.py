"""Through the gateway with grpcurl (reflection from the contracts image), and the metrics
endpoint's counters."""

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any

import grpc
import pytest

from gateway.server import Gateway
from tests.integration.gateway.calls import echo_at
from tests.integration.gateway.conftest import V3, StartGateway
from tests.integration.gateway.echo_backend import EchoBackend
from tests.support.processes import Finished, finished

pytestmark = pytest.mark.integration

Types = tuple[Any, Any]  # message classes made at run time from the test image


async def _grpcurl(repo_root: Path, *args: str) -> Finished:
    # Asynchronously: the gateway runs on this test's event loop and must keep serving.
    return await finished(str(repo_root / ".venv/bin/grpcurl"), "-plaintext", *args, timeout=30)


async def test_grpcurl_lists_describes_and_calls_through_the_gateway(
    gateway: Gateway, repo_root: Path
) -> None:
    address = f"127.0.0.1:{gateway.port}"
    code, out, err = await _grpcurl(repo_root, address, "list")
    assert code == 0, err
    assert set(out.split()) == {
        "accordtest.echo.v2.EchoService",
        V3,
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    }
    code, out, err = await _grpcurl(repo_root, address, "describe", V3)
    assert code == 0, err
    assert "rpc Chat ( stream .accordtest.echo.v3.EchoRequest )" in out
    assert "EchoService answers with what it was sent" in out  # comments from source info
    code, out, err = await _grpcurl(
        repo_root, "-d", '{"text": "via grpcurl", "count": 2}', address, f"{V3}/Expand"
    )
    assert code == 0, err
    answers = [json.loads(part) for part in out.replace("}\n{", "}\x00{").split("\x00")]
    assert [a["text"] for a in answers] == ["via grpcurl", "via grpcurl"]
    # A refusal's details print as what they are: reflection resolves google.rpc types.
    code, out, err = await _grpcurl(repo_root, address, "accordtest.echo.v1.EchoService/Echo")
    assert code != 0
    assert "type.googleapis.com/google.rpc.ErrorInfo" in err
    assert '"reason":"SERVICE_SUNSET"' in err
    assert "is not recognized" not in err
    code, out, err = await _grpcurl(repo_root, address, "grpc.health.v1.Health/Check")
    assert code == 0, err
    assert json.loads(out)["status"] == "SERVING"


async def test_metrics_count_calls_errors_and_latency(
    start_gateway: StartGateway, backend: EchoBackend, echo_types: Types
) -> None:
    gateway = await start_gateway(
        {"accordtest.echo": [backend.address]}, metrics_listen="127.0.0.1:0"
    )
    async with echo_at(f"127.0.0.1:{gateway.port}", echo_types) as echo:
        await echo.unary()(echo.request())
        with pytest.raises(grpc.aio.AioRpcError):
            await echo.unary()(echo.request(fail_with="NOT_FOUND"))
    url = f"http://127.0.0.1:{gateway.metrics_port}/metrics"
    text = (
        await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
    ).decode()
    # Envoy's grpc_stats: per method and status code (0 OK, 5 NOT_FOUND), and failures.
    counts = {
        line.split("{")[0].rsplit("EchoService_Echo_", 1)[1]: line.rsplit(" ", 1)[1]
        for line in text.splitlines()
        if "_EchoService_Echo_" in line and not line.startswith("#")
    }
    assert counts["0"] == "1"
    assert counts["5"] == "1"
    assert counts["failure"] == "1"
    assert counts["total"] == "2"
    assert "envoy_cluster_upstream_rq_time_bucket" in text  # latency histograms
