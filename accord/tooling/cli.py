"""The `accord` command: one entry point for the Makefile and for people.

Each subcommand imports its module only when chosen, so `accord token` stays quick.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from accord.settings import ConfigurationError

Command = Callable[[argparse.Namespace], int]


def _codegen(args: argparse.Namespace) -> int:
    from accord.tooling import codegen

    root = Path.cwd()
    if not args.check:
        codegen.generate(root, sdk=not args.python_only)
        return 0
    changes = codegen.check(root)
    for change in changes:
        print(change, file=sys.stderr)
    if changes:
        print("gen/ is not what the contracts generate: run `make codegen`", file=sys.stderr)
    return 1 if changes else 0


def _sdk(args: argparse.Namespace) -> int:
    from accord.tooling.codegen.sdk._build import build_python, build_typescript

    root, out = Path.cwd(), Path(args.out)
    print(build_python(root, out))
    print(build_typescript(root, out))
    return 0


def _lint(args: argparse.Namespace) -> int:
    from accord.tooling.contracts.lint import lint_repository

    problems = lint_repository(Path.cwd())
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _breaking(args: argparse.Namespace) -> int:
    from accord.tooling.contracts.breaking import breaking_changes

    problems = breaking_changes(Path.cwd(), against=args.against)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _streams(args: argparse.Namespace) -> int:
    import asyncio

    from accord.settings import CommonSettings
    from accord.tooling.streams import provision_all

    for line in asyncio.run(provision_all(CommonSettings())):
        print(line)
    return 0


def _nats_config(args: argparse.Namespace) -> int:
    """The nats-server configuration generated from the contracts, on stdout; the
    identities (one nkey seed per service, the operator's) made under --identities when
    missing, and on stderr the setting that hands each service its own."""
    from accord.nats_auth import ISSUER_SUFFIX, OPERATOR
    from accord.tooling.nats_config import identities_needed, security_for, server_config
    from accord.tooling.nats_identities import read_or_create, seed_maker
    from accord.tooling.nats_tls import TlsFiles

    folder: Path = args.identities
    names = identities_needed(Path.cwd())
    seeds = {name: read_or_create(folder / f"{name}.nk", seed_maker(name)) for name in names}
    tls = None
    if args.tls_cert or args.tls_key or args.tls_ca:
        if not (args.tls_cert and args.tls_key and args.tls_ca):
            print("--tls-cert, --tls-key and --tls-ca go together", file=sys.stderr)
            return 2
        tls = TlsFiles(args.tls_cert, args.tls_key, args.tls_ca)
    security = security_for(seeds, root=Path.cwd(), sync=args.sync, tls=tls)
    print(server_config(security), end="")
    print("# Each process's credentials (keep the seeds secret):", file=sys.stderr)
    for name in names:
        if name == OPERATOR:
            setting = "ACCORD_NATS_OPERATOR_SEED_FILE"
        elif name.endswith(ISSUER_SUFFIX):
            service = name.removesuffix(ISSUER_SUFFIX).upper()
            setting = f"ACCORD_{service}_NATS_ISSUER_SEED_FILE"
        else:
            setting = f"ACCORD_{name.upper()}_NATS_SEED_FILE"
        print(f"{setting}={(folder / f'{name}.nk').resolve()}", file=sys.stderr)
    return 0


def _cluster(args: argparse.Namespace) -> int:
    import asyncio

    from accord.tooling.cluster_cli import run_cluster

    return asyncio.run(run_cluster(client_port=args.port))


def _run(args: argparse.Namespace) -> int:
    from accord.tooling.platform import run_platform

    return run_platform()


def _gateway(args: argparse.Namespace) -> int:
    from gateway.__main__ import print_config
    from gateway.settings import GatewaySettings

    settings = GatewaySettings()
    if args.validate:
        from gateway import envoy
        from gateway.__main__ import printable_config

        envoy.validate(printable_config(settings))
        print("envoy accepts the configuration", file=sys.stderr)
        return 0
    print_config(settings)
    return 0


def _units(args: argparse.Namespace) -> int:
    from accord.tooling.units import write_units

    for path in write_units(args.out, args.root.resolve(), args.env_file):
        print(path)
    return 0


def _token(args: argparse.Namespace) -> int:
    from accord.auth import AuthSettings
    from accord.tooling.devkeys import mint_token

    # The gateway's own settings, so the token names the issuer and audience it checks.
    settings = AuthSettings()
    token = mint_token(
        args.sub,
        args.scope,
        ttl=args.ttl,
        issuer=settings.issuer,
        audience=settings.audience,
        home=settings.home,
        create=settings.development,
    )
    print(token)
    return 0


def _api_key(args: argparse.Namespace) -> int:
    from accord.auth import AuthSettings
    from accord.settings import production_needs
    from accord.tooling.devkeys import create_api_key

    settings = AuthSettings()
    if settings.api_keys_file is None:
        raise production_needs("ACCORD_GATEWAY_API_KEYS_FILE", "the gateway's API keys file")
    print(create_api_key(args.owner, args.scope, path=settings.api_keys_file))
    print("store it now: only its hash is kept", file=sys.stderr)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    codegen = commands.add_parser("codegen", help="generate gen/python and sdk/ from the contracts")
    codegen.add_argument("--check", action="store_true", help="fail if gen/ would change")
    codegen.add_argument(
        "--python-only", action="store_true", help="only gen/python (what services run): no SDKs"
    )
    codegen.set_defaults(handler=_codegen)

    sdk = commands.add_parser("sdk", help="build the SDKs: a Python wheel and an npm tarball")
    sdk.add_argument("--out", default="dist", help="where to put them (default: dist)")
    sdk.set_defaults(handler=_sdk)

    lint = commands.add_parser("lint", help="check AsyncAPI documents and method policies")
    lint.set_defaults(handler=_lint)

    breaking = commands.add_parser("breaking", help="compare the contracts with a git branch")
    breaking.add_argument("--against", default="main", help="the branch to compare with")
    breaking.set_defaults(handler=_breaking)

    token = commands.add_parser("token", help="print a development token the gateway accepts")
    token.add_argument("--sub", required=True, help="the subject, e.g. a customer id")
    token.add_argument(
        "--scope", action="append", default=[], help="a scope to grant; repeat for more"
    )
    token.add_argument("--ttl", type=int, default=3600, help="lifetime in seconds")
    token.set_defaults(handler=_token)

    api_key = commands.add_parser("api-key", help="create an API key; prints it once")
    api_key.add_argument("--owner", required=True, help="the subject the key acts as")
    api_key.add_argument(
        "--scope", action="append", default=[], help="a scope to grant; repeat for more"
    )
    api_key.set_defaults(handler=_api_key)

    streams = commands.add_parser(
        "streams", help="create or update the streams, buckets and consumers of asyncapi/*.yaml"
    )
    streams.set_defaults(handler=_streams)

    gateway = commands.add_parser(
        "gateway", help="the edge: `accord gateway config` prints its Envoy configuration"
    )
    gateway.add_argument("what", choices=["config"], help="config: print the configuration")
    gateway.add_argument(
        "--validate", action="store_true", help="check it with `envoy --mode validate` instead"
    )
    gateway.set_defaults(handler=_gateway)

    nats = commands.add_parser("nats", help="NATS for the platform")
    nats_commands = nats.add_subparsers(dest="nats_command", required=True)
    config = nats_commands.add_parser(
        "config",
        help="print the nats-server configuration generated from the contracts; make the "
        "per-service credentials",
    )
    config.add_argument(
        "--identities",
        type=Path,
        default=Path(".accord/keys/nats"),
        help="where each identity's nkey seed is kept (made when missing)",
    )
    config.add_argument(
        "--sync", default="always", help="JetStream sync_interval: always, or e.g. 2m"
    )
    config.add_argument("--tls-cert", type=Path, help="the server's certificate (PEM)")
    config.add_argument("--tls-key", type=Path, help="the server's private key (PEM)")
    config.add_argument("--tls-ca", type=Path, help="the CA that clients are checked against")
    config.set_defaults(handler=_nats_config)

    run = commands.add_parser("run", help="start NATS and every service")
    run.set_defaults(handler=_run)

    units = commands.add_parser(
        "units", help="write systemd units that run every process under a production supervisor"
    )
    units.add_argument("--out", type=Path, required=True, help="where to write the units")
    units.add_argument(
        "--root", type=Path, default=Path.cwd(), help="the checkout the units run (with .venv)"
    )
    units.add_argument(
        "--env-file",
        type=Path,
        default=Path("/etc/accord/accord.env"),
        help="the environment file every unit reads (NATS_URL, ACCORD_MODE=production, keys)",
    )
    units.set_defaults(handler=_units)

    cluster = commands.add_parser("cluster", help="run a local 3-node JetStream cluster")
    cluster.add_argument(
        "--port", type=int, default=0, help="client port of n1; n2 and n3 take the next two"
    )
    cluster.set_defaults(handler=_cluster)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    handler: Command = args.handler
    try:
        code = handler(args)
    except ConfigurationError as error:
        print(f"accord: {error}", file=sys.stderr)
        code = 2
    sys.exit(code)
