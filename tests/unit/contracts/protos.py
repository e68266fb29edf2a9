"""Small buf modules and git repositories, built in tmp dirs for the contract checks.

Each module imports the real platform options (proto/accordapis is copied in), so the
checks read exactly the options the gateway reads.
"""

import shutil
import subprocess
import textwrap
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
BUF_YAML = """\
version: v2
modules:
  - path: proto
lint:
  use:
    - STANDARD
breaking:
  use:
    - FILE
"""
SHOP = "acme/shop/v1/shop.proto"
SHOP_MESSAGES = """
// GetItemRequest names an item.
message GetItemRequest {
  // The item.
  string item_id = 1;
  // The owner.
  string customer_id = 2;
  // Some tags.
  repeated string tags = 3;
  // A count.
  int32 count = 4;
}

// GetItemResponse is an item.
message GetItemResponse {
  // The item.
  string item_id = 1;
}
"""


def make_module(root: Path) -> Path:
    """An empty buf module at `root` that can import the real platform options."""
    shutil.copytree(REPO_ROOT / "proto" / "accordapis", root / "proto" / "accordapis")
    (root / "buf.yaml").write_text(BUF_YAML)
    return root


def write_file(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def commit_all_on_main(root: Path) -> None:
    """Make `root` a git repository whose branch `main` holds everything written so far."""
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "baseline")


def shop_proto(*services: str) -> str:
    """acme/shop/v1/shop.proto: the given service blocks plus the request/response pair."""
    header = (
        'syntax = "proto3";\n\npackage acme.shop.v1;\n\n'
        'import "accordapis/options/v1/policy.proto";\n'
    )
    return "\n".join([header, *services, SHOP_MESSAGES])


def service(name: str, *rpcs: str, lifecycle: str | None = None) -> str:
    """A service block; `lifecycle` is the text inside its lifecycle option."""
    lines = [f"// {name} is a test service.", f"service {name} {{"]
    if lifecycle is not None:
        lines.append(f"  option (accordapis.options.v1.lifecycle) = {{{lifecycle}}};")
    lines += [textwrap.indent(r, "  ") for r in rpcs]
    return "\n".join([*lines, "}"])


def rpc(name: str, policy: str | None) -> str:
    """An rpc; `policy` is the text inside its policy option, None for no option at all."""
    head = f"// {name} does a thing.\nrpc {name}(GetItemRequest) returns (GetItemResponse)"
    if policy is None:
        return head + ";"
    return head + f" {{\n  option (accordapis.options.v1.policy) = {{{policy}}};\n}}"
