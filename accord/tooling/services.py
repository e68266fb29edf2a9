"""The platform's services, found, not listed: every `services/<name>/app.py` declares its
`SERVICE` (accord.skeleton: name, settings, the APIs it serves, and, when it calls others
through the gateway, its gateway scopes). `make run`, `accord units`, the development keys and
the tests find them the same way."""

import importlib
from pathlib import Path
from typing import Any

from accord.settings import ServiceSettings
from accord.skeleton import Service

SERVICES_DIR = Path("services")
AnyService = Service[Any, Any]


def discover_services(root: Path = SERVICES_DIR) -> list[AnyService]:
    """Every service's declaration, in the order of its default port (the README's table),
    whatever ports the environment gives them."""
    found: list[AnyService] = [
        importlib.import_module(f"services.{app.parent.name}.app").SERVICE
        for app in sorted(root.glob("*/app.py"))
    ]
    return sorted(found, key=lambda service: int(service.settings.model_fields["port"].default))


def settings_of(service: AnyService) -> ServiceSettings:
    settings: ServiceSettings = service.settings()
    return settings


def gateway_callers(found: list[AnyService] | None = None) -> dict[str, tuple[str, ...]]:
    """Each service that calls others through the gateway, with the scopes it needs (its
    declaration's gateway_scopes): what its development API key must hold."""
    services = discover_services() if found is None else found
    return {s.name: tuple(s.gateway_scopes) for s in services if s.gateway_scopes}
