"""The `accord` command: one entry point for the Makefile and for people.

Each subcommand imports its module only when chosen, so `accord token` stays quick.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Command = Callable[[argparse.Namespace], int]


def _codegen(args: argparse.Namespace) -> int:
    from accord import codegen

    root = Path.cwd()
    if not args.check:
        codegen.generate(root)
        return 0
    changes = codegen.check(root)
    for change in changes:
        print(change, file=sys.stderr)
    if changes:
        print("gen/ is not what the contracts generate: run `make codegen`", file=sys.stderr)
    return 1 if changes else 0


def _lint(args: argparse.Namespace) -> int:
    from accord.contracts.lint import lint_repository

    problems = lint_repository(Path.cwd())
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _breaking(args: argparse.Namespace) -> int:
    from accord.contracts.breaking import breaking_changes

    problems = breaking_changes(Path.cwd(), against=args.against)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


def _run(args: argparse.Namespace) -> int:
    from accord.platform import run_platform

    return run_platform()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    codegen = commands.add_parser("codegen", help="generate gen/python from the contracts")
    codegen.add_argument("--check", action="store_true", help="fail if gen/ would change")
    codegen.set_defaults(handler=_codegen)

    lint = commands.add_parser("lint", help="check AsyncAPI documents and method policies")
    lint.set_defaults(handler=_lint)

    breaking = commands.add_parser("breaking", help="compare the contracts with a git branch")
    breaking.add_argument("--against", default="main", help="the branch to compare with")
    breaking.set_defaults(handler=_breaking)

    run = commands.add_parser("run", help="start NATS and every service")
    run.set_defaults(handler=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    handler: Command = args.handler
    sys.exit(handler(args))
