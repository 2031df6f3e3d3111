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

from invharness import contracts

__all__ = ["build_parser", "main"]

_EPILOG = """\
examples:
  invharness verify                                   judge the embedded reference server
  invharness verify --target-url URL --profile P.yaml judge another implementation
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

    generate = commands.add_parser(
        "generate",
        help="generate a realistic segmented inventory dataset",
        description="Write a seeded dataset of segmented inventory: batch JSON files of at most 5,000 records "
        "(ready to POST), NDJSON INVENTORY_DELTA events, and CSV and Parquet snapshots of every quantity, with a "
        "manifest of the seed, the counts and a SHA-256 of every file. The same seed gives the same bytes, "
        "whatever the number of processes.",
        epilog="examples:\n  invharness generate --out demo --products 200 --locations 20\n"
        "  invharness generate --out big --products 20000 --locations 50 --depth 4 --formats batches,deltas",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    generate.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory to write (must be empty)")
    generate.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    generate.add_argument("--products", type=_positive, default=1000, help="products (default 1000)")
    generate.add_argument("--locations", type=_positive, default=50, help="locations, a tenth of them DCs (default 50)")
    generate.add_argument(
        "--depth", type=_positive, default=3, help="at most this many LAST_ON_HAND segments per position (default 3)"
    )
    generate.add_argument(
        "--formats",
        default="batches,deltas,csv,parquet",
        help="comma-separated: batches, deltas, csv, parquet (default: all)",
    )
    generate.add_argument(
        "--retailers",
        type=_retailer_ids,
        default=(1,),
        metavar="IDS",
        help="comma-separated retailer ids; locations are shared out among them (default 1)",
    )
    generate.add_argument("--processes", type=_positive, default=None, help="worker processes (default: CPUs)")
    generate.add_argument("--overwrite", action="store_true", help="allow writing into a directory that has files")
    generate.set_defaults(run=_generate)

    from invharness import verify as verify_command

    verify = commands.add_parser(
        "verify",
        help="judge a target clause by clause (the embedded reference server by default)",
        description=verify_command.__doc__,
        epilog="examples:\n  invharness verify\n"
        "  invharness verify --target-url http://127.0.0.1:9000 --profile vendor.yaml\n"
        "  invharness verify --group bpp-precedence --group bpp-detection --report-dir out\n"
        "  invharness verify --target-url URL --profile P.yaml --strict --max-time 900\n"
        "  invharness verify --run-id ih1a2b3c   replay a run's refs and generated inputs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify_command.add_arguments(verify)
    verify.set_defaults(run=verify_command.run)

    from invharness import report_cmd

    report = commands.add_parser(
        "report",
        help="render report.html and junit.xml again from a run's results.json",
        description=report_cmd.__doc__,
        epilog=report_cmd.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report_cmd.add_arguments(report)
    report.set_defaults(run=report_cmd.run)

    from invharness.reference_impl import server as reference_server

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
    from invharness.reference_impl.server import run_from_args

    return run_from_args(args)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _retailer_ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"retailer ids are whole numbers, e.g. 1,2 (not {text!r})") from None
    if not ids or min(ids) < 1 or len(set(ids)) != len(ids):
        raise argparse.ArgumentTypeError(f"give one or more distinct positive retailer ids, not {text!r}")
    return ids


def _generate(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from invharness.generators.dataset import DatasetSpec, generate

    if args.out.exists() and any(args.out.iterdir()) and not args.overwrite:
        print(
            f"invharness generate: {args.out} is not empty; choose another --out or pass --overwrite", file=sys.stderr
        )
        return 2
    try:
        spec = DatasetSpec(
            seed=args.seed,
            products=args.products,
            locations=args.locations,
            out=args.out,
            depth=args.depth,
            formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
            retailer_ids=args.retailers,
        )
    except ValueError as exc:
        print(f"invharness generate: {exc}", file=sys.stderr)
        return 2
    columns = (TextColumn("positions"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("generate", total=args.products * args.locations)
        manifest = generate(spec, args.processes, lambda done, total: progress.update(task, completed=done))
    counts = manifest["counts"]
    print(
        f"{counts['records']:,} records of {counts['positions']:,} positions ({counts['transients']:,} transients, "
        f"{counts['deltaEvents']:,} delta events) in {counts['files']:,} files under {args.out}; see manifest.json"
    )
    return 0
