"""The ``invharness`` command: a thin front door that delegates to the packages.

Exit codes: 0 success; 1 the input does not conform; 2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import contracts

__all__ = ["build_parser", "main"]

_EPILOG = """\
examples:
  invharness schemas                                  list the contract's payload schemas
  invharness validate -s batch-create-request b.json  check a payload against the contract
  cat event.json | invharness validate -s event-request -
  invharness clauses --group bpp-precedence           the rules a target is judged on
  invharness clauses --json > clauses.json            the catalogue for other tools
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (exposed for tests and shell completion)."""
    parser = argparse.ArgumentParser(
        prog="invharness",
        description="Conformance harness for inventory-ingestion APIs of the Fluent Commerce kind: "
        "check payloads against the contract and list the clauses a target is judged on.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from invharness import __version__

    parser.add_argument("--version", action="version", version=f"invharness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        help="check JSON payloads against a contract schema",
        description="Check JSON files against one schema of the contract. Prints every reason a "
        "payload breaks the schema, each with the JSONPath of the offending field.",
    )
    validate.add_argument(
        "-s",
        "--schema",
        required=True,
        choices=contracts.schema_names(),
        metavar="NAME",
        help="the schema to check against (see `invharness schemas`)",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="JSON files; - reads standard input")
    validate.set_defaults(run=_validate)

    schemas = commands.add_parser("schemas", help="list the contract's JSON Schemas")
    schemas.set_defaults(run=_schemas)

    clauses = commands.add_parser(
        "clauses",
        help="list the clause catalogue",
        description="List the normative clauses of the contract, with their severity, group and "
        "the profile key through which a target declares its answer to an open question.",
    )
    clauses.add_argument("--group", choices=sorted(contracts.catalogue().groups), help="only this group")
    clauses.add_argument("--json", action="store_true", help="print JSON instead of a table")
    clauses.set_defaults(run=_clauses)

    from reference_impl import server as reference_server

    serve = commands.add_parser(
        "serve",
        help="run the reference server",
        description=reference_server.DESCRIPTION,
        epilog=reference_server.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    reference_server.add_arguments(serve)
    serve.set_defaults(run=_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # e.g. `invharness clauses | head`: the reader left, nothing is lost
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _read_json(name: str) -> Any:
    text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    return json.loads(text)


def _validate(args: argparse.Namespace) -> int:
    checker = contracts.validator(args.schema)
    status = 0
    for name in args.files:
        try:
            payload = _read_json(name)
        except (OSError, UnicodeDecodeError) as exc:
            print(f"{name}: cannot read: {exc}", file=sys.stderr)
            return 2
        except json.JSONDecodeError as exc:
            print(f"{name}: not JSON: {exc}", file=sys.stderr)
            return 2
        errors = checker.errors(payload)
        if not errors:
            print(f"{name}: conforms to {args.schema}")
            continue
        status = 1
        print(f"{name}: {len(errors)} problem(s) against {args.schema}")
        for error in errors:
            print(f"  {error}")
    return status


def _schemas(args: argparse.Namespace) -> int:
    for name in contracts.schema_names():
        print(f"{name:28} {contracts.schema(name).get('title', '')}")
    return 0


def _clauses(args: argparse.Namespace) -> int:
    selected = contracts.clauses(args.group)
    if args.json:
        print(json.dumps([_clause_dict(c) for c in selected], indent=2))
        return 0
    for clause in selected:
        profile = f" [profile {clause.profile}]" if clause.profile else ""
        head = f"{clause.id:16} {clause.severity:6} "
        print(textwrap.fill(clause.statement + profile, 100, initial_indent=head, subsequent_indent=" " * len(head)))
    print(f"\n{len(selected)} clause(s)")
    return 0


def _clause_dict(clause: contracts.Clause) -> dict[str, Any]:
    return {name: getattr(clause, name) for name in clause.__slots__}


def _serve(args: argparse.Namespace) -> int:
    from reference_impl.server import run_from_args

    return run_from_args(args)
