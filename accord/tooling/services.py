"""The platform's services, found, not listed: every `services/<name>/app.py` that names its
NAME, Settings and SERVICES (and, when it calls others through the gateway, GATEWAY_SCOPES).
`make run`, `accord units`, the development keys and the tests find them the same way."""

import importlib
from pathlib import Path
from types import ModuleType

from accord.settings import ServiceSettings

SERVICES_DIR = Path("services")


def discover_services(root: Path = SERVICES_DIR) -> list[ModuleType]:
    """Every service's app module, in the order of its default port (the README's table),
    whatever ports the environment gives them."""
    apps = [
        importlib.import_module(f"services.{app.parent.name}.app")
        for app in sorted(root.glob("*/app.py"))
    ]
    return sorted(apps, key=lambda app: int(app.Settings.model_fields["port"].default))


def settings_of(app: ModuleType) -> ServiceSettings:
    settings: ServiceSettings = app.Settings()
    return settings


def gateway_callers(apps: list[ModuleType] | None = None) -> dict[str, tuple[str, ...]]:
    """Each service that calls others through the gateway, with the scopes it needs (its
    app's GATEWAY_SCOPES): what its development API key must hold."""
    found = discover_services() if apps is None else apps
    return {app.NAME: tuple(app.GATEWAY_SCOPES) for app in found if hasattr(app, "GATEWAY_SCOPES")}
