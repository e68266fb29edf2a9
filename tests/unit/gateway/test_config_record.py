"""The compiled configuration for the repository's contracts, byte for byte, as recorded.

A refactoring of the compiler (gateway/config.py and the modules it draws on) must change no
byte of what Envoy runs; a change in behaviour changes it on purpose, and is recorded again:

    RECORD_COMPILED_CONFIG=1 .venv/bin/pytest tests/unit/gateway/test_config_record.py

The record keeps a digest per part (each cluster, each HTTP filter, the routes, the local
replies, ...), so a failure names what changed; `accord gateway config` shows it whole.
"""

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from accord.descriptors import load_image
from gateway.config import Ports, compile_config
from gateway.routes import RouteTable
from gateway.settings import GatewaySettings

RECORD = Path(__file__).with_name("compiled_config.sha256.json")
PORTS = Ports(
    listen_port=50050, admin_port=9901, control_port=50100, authz_port=50101, metrics_port=9464
)


def _settings() -> GatewaySettings:
    """Fixed inputs: development keys under a home that need not exist (only paths are
    compiled in), every service of the contracts on one address."""
    return GatewaySettings.model_validate(
        {
            "mode": "development",
            "routes": {"acme": ["127.0.0.1:50051"]},
            "access_log_path": "",
            "cors_allowed_origins": [],
            "auth": {"ACCORD_HOME": "/accord-home", "mode": "development"},
        }
    )


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def parts(config: dict[str, Any]) -> dict[str, str]:
    """A digest per part of the configuration, and one of the whole."""
    digests = {"whole": _digest(config)}
    resources = config["static_resources"]
    digests["bootstrap"] = _digest({k: v for k, v in config.items() if k != "static_resources"})
    for cluster in resources["clusters"]:
        digests[f"cluster {cluster['name']}"] = _digest(cluster)
    for listener in resources["listeners"]:
        name = listener["name"]
        manager = listener["filter_chains"][0]["filters"][0]["typed_config"]
        for index, http_filter in enumerate(manager["http_filters"]):
            digests[f"listener {name} filter {index} {http_filter['name']}"] = _digest(http_filter)
        digests[f"listener {name} routes"] = _digest(manager["route_config"])
        digests[f"listener {name} local replies"] = _digest(manager.get("local_reply_config"))
        rest = {
            k: v
            for k, v in manager.items()
            if k not in ("http_filters", "route_config", "local_reply_config")
        }
        digests[f"listener {name} connection manager"] = _digest(rest)
        digests[f"listener {name}"] = _digest(
            {k: v for k, v in listener.items() if k != "filter_chains"}
        )
    return digests


def test_the_compiled_configuration_is_the_recorded_one() -> None:
    settings = _settings()
    compiled = parts(compile_config(settings, RouteTable(load_image(), settings.routes), PORTS))
    if os.environ.get("RECORD_COMPILED_CONFIG"):
        RECORD.write_text(json.dumps(compiled, indent=1, sort_keys=True) + "\n")
    recorded = json.loads(RECORD.read_text())
    changed = sorted(
        name for name in {*recorded, *compiled} if recorded.get(name) != compiled.get(name)
    )
    assert not changed, (
        f"the compiled configuration differs from the record in: {changed}; if that is meant, "
        "record it again (RECORD_COMPILED_CONFIG=1; this module's docstring)"
    )
