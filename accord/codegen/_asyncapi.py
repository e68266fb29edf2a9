"""AsyncAPI documents → typed event packages, through asyncapi-python's generator.

One package per service document: `asyncapi/orders.yaml` becomes `acme_events.orders`.
asyncapi-python writes the payload models; our templates (./templates) replace its
routers and application, so that they run on the Accord runtime (`accord.events`), and
`contract.py` embeds the document with its references inlined, for the runtime's schemas
and JetStream topology.
"""

import contextlib
import functools
import io
import pprint
import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from accord.codegen._tree import GeneratedFile
from accord.events import load_document
from accord.events._channels import pattern_of
from accord.events._document import service_documents

PACKAGE_ROOT = "acme_events"
TEMPLATES = Path(__file__).parent / "templates"

_ROOT_MODEL = re.compile(r"^class (\w+)\(RootModel\[(\w+)\]\):", re.MULTILINE)
_MODEL = re.compile(r"^class (\w+)\(BaseModel\):", re.MULTILINE)
_CONTRACT = '''"""The contract this package was generated from, every `$ref` inlined."""

from typing import Any

DOCUMENT: dict[str, Any] = {document}
'''


def source_of(document: Path) -> str:
    """The `ce-source` of a document's events: `/acme/<service>`."""
    return f"/acme/{document.stem}"


def senders_of(documents: list[Path]) -> dict[str, str]:
    """Each channel (its subject pattern) and the `ce-source` of the one document that
    sends on it (`make lint` allows one). A document of devices, whose root
    `x-accord-identity` names the parameter that identifies each device, sends as
    `/acme/<document>/{<parameter>}`: each device is its own source."""
    senders: dict[str, str] = {}
    for path in documents:
        document = load_document(path)
        per = (document.get("x-accord-identity") or {}).get("parameter")
        source = source_of(path) + (f"/{{{per}}}" if per else "")
        for operation in (document.get("operations") or {}).values():
            if operation.get("action") == "send":
                senders[pattern_of(operation["channel"]["address"])] = source
    return senders


def generate_asyncapi(root: Path, workdir: Path) -> list[GeneratedFile]:
    out = workdir / "asyncapi" / PACKAGE_ROOT
    files: list[GeneratedFile] = []
    documents = service_documents(root)
    senders = senders_of(documents)
    for document in documents:
        package = out / document.stem
        render_package(root, document, package, source=source_of(document), senders=senders)
        origin = str(document.relative_to(root))
        files += [
            GeneratedFile(path, Path(PACKAGE_ROOT) / path.relative_to(out), origin)
            for path in sorted(package.rglob("*.py"))
        ]
    init = out / "__init__.py"
    init.write_text('"""Typed event applications, one package per AsyncAPI document."""\n')
    files.append(GeneratedFile(init, Path(PACKAGE_ROOT, "__init__.py"), "asyncapi/"))
    return files


def render_package(
    root: Path,
    document: Path,
    package: Path,
    *,
    source: str,
    senders: Mapping[str, str] | None = None,
) -> None:
    """Generate the typed package of one document into `package` (a folder).
    `source` is the default `ce-source` of the application's events; `senders` the
    `ce-source` a consumer accepts on each channel (`senders_of`; none: not checked)."""
    from asyncapi_python_codegen.generators import CodeGenerator  # codegen-only dependency
    from jinja2 import ChoiceLoader, FileSystemLoader

    generator = CodeGenerator()
    renderer = generator.template_renderer
    # The stock generator type-checks its own output at the end; `make lint` does that for us.
    renderer.run_mypy = lambda output_dir: None
    stock = renderer.env.loader
    renderer.env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), stock])
    renderer.env.globals["accord_endpoints"] = functools.partial(
        _endpoints, senders=senders or {}, core=_core_receives(load_document(document))
    )
    renderer.env.globals["accord_source"] = source
    # datamodel-code-generator reads its settings (no timestamp) from ./pyproject.toml,
    # and the generator narrates every step on stdout.
    with (
        tempfile.TemporaryDirectory() as scratch,
        contextlib.chdir(root),
        contextlib.redirect_stdout(io.StringIO()),
    ):
        generator.generate(_without_parameters(document, Path(scratch)), package, force=True)
    literal = pprint.pformat(load_document(document), sort_dicts=False, width=100)
    (package / "contract.py").write_text(_CONTRACT.format(document=literal))


def _without_parameters(document: Path, scratch: Path) -> Path:
    """The document as asyncapi-python's generator may read it: its channels' parameters
    left out. The generator runs its AMQP rules on every document, and they refuse a
    parameterized channel without an AMQP binding (field notes, defect 9). Parameters
    change no payload model, and our templates never read them from the generator: the
    runtime reads them from `contract.py`, which embeds the document as written. The copy
    sits beside copies of its siblings, so that relative references still resolve."""
    copied = scratch / document.parent.name
    shutil.copytree(document.parent, copied)
    target = copied / document.name
    raw = yaml.safe_load(target.read_text(encoding="utf-8"))
    for channel in (raw.get("channels") or {}).values():
        if isinstance(channel, dict):
            channel.pop("parameters", None)
    target.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


def _core_receives(document: Mapping[str, Any]) -> set[str]:
    """Receive operations without a durable consumer or a reply: core NATS subscriptions."""
    found = set()
    for key, operation in (document.get("operations") or {}).items():
        nats = ((operation.get("bindings") or {}).get("nats")) or {}
        durable = (nats.get("x-jetstream") or {}).get("durable")
        if operation.get("action") == "receive" and not durable and not operation.get("reply"):
            found.add(key)
    return found


def _endpoints(
    routers: list[Any], models_code: str, senders: Mapping[str, str], core: set[str]
) -> list[dict[str, str]]:
    """What the router template writes for each operation (asyncapi-python's RouterInfo)."""
    return [_endpoint(router, models_code, senders, core) for router in routers]


def _endpoint(
    router: Any, models_code: str, senders: Mapping[str, str], core: set[str]
) -> dict[str, str]:
    operation = router.operation
    if " | " in router.input_type:
        raise ValueError(f"{operation.key}: one message per operation, not {router.input_type}")
    sends = operation.action == "send"
    types = "json." + _payload_class(router.input_type, models_code)
    if operation.reply is not None:
        kind = "RpcClient" if sends else "RpcServer"
        types += ", json." + _payload_class(router.output_type, models_code)
    elif sends:
        kind = "Publisher"
    else:
        kind = "CoreSubscriber" if operation.key in core else "Subscriber"
    text = operation.summary or operation.title or operation.description or operation.key
    address = str(operation.channel.address or "")
    if sends and "{" in address:
        text = f"{text} On {address}: `parameters=` or the payload fill in each parameter."
    sender = senders.get(pattern_of(address)) if kind.endswith("Subscriber") else None
    return {
        "sender": f", sender={sender!r}" if sender else "",
        "side": "producer" if sends else "consumer",
        "attribute": _snake_case(operation.key),
        "kind": kind,
        "key": operation.key,
        "types": types,
        "doc": " ".join(str(text).split()).replace('"""', "'''"),
    }


def _payload_class(message_type: str, models_code: str) -> str:
    """The model a handler sees: the payload a message model wraps, or the message model."""
    roots: dict[str, str] = dict(_ROOT_MODEL.findall(models_code))
    if message_type in roots:
        return roots[message_type]
    if message_type in _MODEL.findall(models_code):
        return message_type
    raise ValueError(f"no payload model generated for message {message_type}")


def _snake_case(name: str) -> str:
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name.replace("-", "_"))
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", spaced).replace(".", "_").lower()
