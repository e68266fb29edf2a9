"""The fixture documents, copied into a tmp folder and changed there by each test."""

import copy
import shutil
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parent / "fixtures"
DOCUMENT = "asyncapi/shop.yaml"
SHARED = "asyncapi/common/schemas.yaml"


def load(relative: str) -> Any:
    return copy.deepcopy(yaml.safe_load((FIXTURES / relative).read_text()))


def copy_fixtures(root: Path) -> Path:
    shutil.copytree(FIXTURES / "asyncapi", root / "asyncapi", dirs_exist_ok=True)
    return root


def dump(root: Path, relative: str, document: Any) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
