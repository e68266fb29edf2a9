"""Where contract files are read from: the working tree, or a git ref of the same repository.

`make lint` reads the working tree; `make breaking` reads both, so every reader takes the
same repository-relative, slash-separated paths.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from accord.events._document import ASYNCAPI_DIR, service_documents


class Source(Protocol):
    def read(self, path: str) -> str:
        """The text of a repository-relative file; FileNotFoundError when it is absent."""
        ...

    def asyncapi_documents(self) -> list[str]:
        """The per-service documents: YAML files directly in asyncapi/ (shared parts live in
        subfolders and are only reached through `$ref`)."""
        ...


@dataclass(frozen=True)
class WorkingTree:
    root: Path

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def asyncapi_documents(self) -> list[str]:
        return [f"{ASYNCAPI_DIR}/{p.name}" for p in service_documents(self.root)]


@dataclass(frozen=True)
class GitRef:
    root: Path
    ref: str

    def read(self, path: str) -> str:
        done = git(self.root, "show", f"{self.ref}:./{path}")
        if done.returncode != 0:
            raise FileNotFoundError(f"{path} at {self.ref}")
        return done.stdout

    def asyncapi_documents(self) -> list[str]:
        listing = git(self.root, "ls-tree", "--name-only", self.ref, f"{ASYNCAPI_DIR}/")
        names = listing.stdout.splitlines() if listing.returncode == 0 else []
        return sorted(n for n in names if n.endswith(".yaml") and n.count("/") == 1)


def ref_exists(root: Path, ref: str) -> bool:
    """Whether `ref` names a commit here (a fresh repository has no `main` yet)."""
    return git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0


def git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
