"""`accord units` writes a systemd unit per process, with make run's restart policy."""

import configparser
from pathlib import Path

from accord.tooling.services import discover_services
from accord.tooling.units import TARGET, write_units


def test_a_unit_per_service_and_the_gateway_with_the_restart_policy(tmp_path: Path) -> None:
    written = write_units(tmp_path, Path("/opt/accord"), Path("/etc/accord/accord.env"))
    names = {path.name for path in written}
    services = {f"accord-{service.name}.service" for service in discover_services()}
    assert names == {*services, "accord-gateway.service", TARGET}

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(tmp_path / "accord-payments.service")
    service = unit["Service"]
    assert service["ExecStart"] == "/opt/accord/.venv/bin/python -m services.payments"
    assert service["Environment"] == "ACCORD_PAYMENTS_PORT=50053"
    assert service["Restart"] == "on-failure"
    assert service["RestartSec"] == "500ms"
    assert unit["Unit"]["StartLimitBurst"] == "6"  # five restarts within a minute, then failed
    assert unit["Install"]["WantedBy"] == TARGET
    target = configparser.ConfigParser(strict=False, interpolation=None)
    target.read(tmp_path / TARGET)
    assert set(target["Unit"]["Wants"].split()) == {*services, "accord-gateway.service"}
