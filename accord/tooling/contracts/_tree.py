"""Reading loosely typed YAML: a document that fails its schema must still not crash a check
that looks at it, so every step tolerates the wrong type and yields nothing."""

from typing import Any


def get(node: Any, *keys: str) -> Any:
    """node[k1][k2]..., or None where a step is missing or not a mapping."""
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def mapping(node: Any) -> dict[str, Any]:
    return node if isinstance(node, dict) else {}


def sequence(node: Any) -> list[Any]:
    return node if isinstance(node, list) else []
