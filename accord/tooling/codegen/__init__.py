"""`make codegen`: contracts in, typed Python out, byte for byte the same on every run."""

from accord.tooling.codegen._generate import check, generate

__all__ = ["check", "generate"]
