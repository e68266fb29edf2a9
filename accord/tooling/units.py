"""systemd units for the platform's processes: what `make run` supervises, under a production
supervisor (`accord units --out DIR`).

One unit per service and one for the gateway, all part of `accord.target`. Each restarts its
process when it fails, with the same policy `make run` applies (accord.tooling.supervision):
a first restart after half a second, delays doubling up to 8 s, and a crash loop (more than
five restarts within a minute) leaves the unit failed for an operator to look at. NATS is not
among them: point NATS_URL (in the environment file) at your JetStream servers.
"""

from pathlib import Path

from accord.tooling.services import discover_services
from accord.tooling.supervision import RestartPolicy

TARGET = "accord.target"


def _unit(description: str, module: str, root: Path, env_file: Path, extra_env: str) -> str:
    policy = RestartPolicy()
    return f"""[Unit]
Description={description}
PartOf={TARGET}
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec={policy.window:.0f}
StartLimitBurst={policy.max_restarts + 1}

[Service]
Type=simple
WorkingDirectory={root}
EnvironmentFile={env_file}
{extra_env}ExecStart={root}/.venv/bin/python -m {module}
# SIGTERM drains in-flight calls and handlers (ACCORD_*_GRACE_SECONDS), then it exits 0.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=on-failure
RestartSec={policy.first_delay * 1000:.0f}ms
RestartSteps=4
RestartMaxDelaySec={policy.max_delay:.0f}s
NoNewPrivileges=yes
PrivateTmp=yes

[Install]
WantedBy={TARGET}
"""


def units(root: Path, env_file: Path) -> dict[str, str]:
    """File name → content of every unit, for a checkout at `root` with its venv made."""
    found: dict[str, str] = {}
    for service in discover_services():
        port = service.settings.model_fields["port"].default
        prefix = str(service.settings.model_config.get("env_prefix", ""))
        found[f"accord-{service.name}.service"] = _unit(
            f"Accord {service.name} service (gRPC on port {port})",
            f"services.{service.name}",
            root,
            env_file,
            f"Environment={prefix}PORT={port}\n",
        )
    found["accord-gateway.service"] = _unit(
        "Accord gateway (the front door)", "gateway", root, env_file, ""
    )
    names = " ".join(sorted(found))
    found[TARGET] = f"""[Unit]
Description=Accord: every service and the gateway
Wants={names}

[Install]
WantedBy=multi-user.target
"""
    return found


def write_units(out: Path, root: Path, env_file: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in units(root, env_file).items():
        path = out / name
        path.write_text(text)
        written.append(path)
    return written
