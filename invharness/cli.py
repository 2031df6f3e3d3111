"""The ``invharness`` command: a thin front door that delegates to the packages.

Every subcommand says what it does, shows examples and lists its exit codes (``--help``); a usage
error is one line that says what to fix. Exit codes: 0 success; 1 the input does not conform;
2 bad usage or unreadable input; 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import signal
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from invharness import contracts
from invharness.argtypes import positive

__all__ = ["HELP", "INTERRUPTED", "Help", "Parser", "build_parser", "entry", "main"]

INTERRUPTED = 130  # the shell's code for a process ended by Ctrl-C (128 + SIGINT)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: what is wrong, and where to read more."""

    def error(self, message: str) -> NoReturn:
        if "the following arguments are required: COMMAND" in message:
            message = "choose a command"
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


@dataclass(slots=True, frozen=True)
class Help:
    """What a subcommand's --help says beyond its options."""

    summary: str  # the one line in `invharness --help`
    description: str
    examples: tuple[tuple[str, str], ...]  # (command line, what it does)
    exit_codes: tuple[tuple[int, str], ...]

    def epilog(self) -> str:
        # trailing shell comments, so that every line can be pasted as it is
        width = min(60, max(len(line) for line, _ in self.examples))
        examples = "\n".join(f"  {line:{width}}  # {what}" if what else f"  {line}" for line, what in self.examples)
        codes = "\n".join(f"  {code:3}  {meaning}" for code, meaning in self.exit_codes)
        return f"examples:\n{examples}\n\nexit codes:\n{codes}\n"


_BAD_USAGE = (2, "bad usage (the message says what to fix)")
_INTERRUPTED = (INTERRUPTED, "interrupted (Ctrl-C)")

HELP: dict[str, Help] = {
    "verify": Help(
        "judge a target clause by clause (the embedded reference server by default)",
        "",  # verify's own docstring (invharness/verify.py)
        (
            ("invharness verify", "judge the embedded reference server"),
            ("invharness verify --target-url http://127.0.0.1:8080 --profile examples/profile-served.yaml", ""),
            ("invharness verify --group auth --group bpp-precedence --report-dir out", "two groups only"),
            ("invharness verify --target-url URL --profile P.yaml --strict --max-time 900", "SHOULD fails too"),
            ("invharness verify --run-id ih1a2b3c", "replay a run's refs and generated inputs"),
            ("invharness verify --clause BPP-DEDUP-01 --clause BPP-DEDUP-02", "only the checks citing them"),
            ("invharness verify --last-failed invharness-report", "re-run what did not pass last time"),
        ),
        (
            (0, "CONFORMS: every MUST clause passes, is a declared deviation or needs a feature declared off"),
            (1, "DOES NOT CONFORM: a MUST clause fails (with --strict, a SHOULD clause too)"),
            _BAD_USAGE,
            (3, "the harness or the environment failed; no verdict"),
            (
                4,
                "INCOMPLETE: nothing fails, but some MUST clause was not judged (unreachable target, "
                "blocked, skipped, error, not selected)",
            ),
        ),
    ),
    "profile": Help(
        "write or check a target profile (credentials, declared behaviours, features, deviations)",
        "A profile tells verify how to reach a target and what the target declares about itself. "
        "`profile init` writes one with every key, its allowed values and the reference's value as comments; "
        "`profile check` validates one without running anything.",
        (
            ("invharness profile init --out vendor.yaml", "every key, commented"),
            ("invharness profile init --from-target http://127.0.0.1:8080 --out served.yaml", "probe a target first"),
            ("invharness profile check vendor.yaml", "allowed values, unknown keys, deviations"),
        ),
        ((0, "written / the profile is valid"), (1, "the profile has problems (each named)"), _BAD_USAGE),
    ),
    "load": Help(
        "put a target under load with locust; judge SLOs and reconcile what it stored",
        "",  # load's own docstring (invharness/load.py)
        (
            ("invharness load --scenario ingest --users 4 --run-time 60s", "against the embedded reference"),
            (
                "invharness load --target-url URL --profile p.yaml --scenario mixed --users 20 --workers 2 "
                "--slo slo.yaml",
                "a master and two local locust workers",
            ),
            ("invharness load --target-url URL --profile p.yaml --dataset demo", "replay `generate --out demo`"),
        ),
        (
            (0, "every SLO holds and the target stored exactly what was acknowledged"),
            (1, "an SLO fails or reconciliation found lost, wrong or double-applied data"),
            _BAD_USAGE,
            (3, "the harness or the environment failed; no verdict"),
        ),
    ),
    "report": Help(
        "render report.html and junit.xml again from a run's results.json",
        "",  # the command's own docstring (invharness/report_cmd.py)
        (
            ("invharness report invharness-report", "re-render the reports of the last `invharness verify`"),
            ("invharness report ci-artifacts/run-17", "the reports of a run downloaded from CI"),
        ),
        ((0, "the reports were written"), (2, "DIR has no results.json, or it is not one invharness wrote")),
    ),
    "fuzz": Help(
        "fuzz a target's REST and GraphQL APIs from the contract (schemathesis), with replayable seeds",
        "",  # fuzz's own docstring (invharness/fuzz.py)
        (
            ("invharness fuzz --max-examples 50", "the embedded reference, every operation"),
            ("invharness fuzz --target-url URL --profile p.yaml --seed 7 --report-dir out", "replayable"),
            ("invharness fuzz --operation 'POST /api/v4.1/job' --no-graphql --no-stateful", "one operation"),
            ("invharness fuzz --seed 7 --max-examples 50", "replay a run: the same cases"),
        ),
        (
            (0, "no failures found"),
            (1, "failures found (each with its check, a curl reproduction and the seed)"),
            _BAD_USAGE,
            (3, "the harness or the environment failed; no verdict"),
        ),
    ),
    "serve": Help(
        "run the reference server",
        "",  # the server's own DESCRIPTION
        (
            ("invharness serve --port 8080", "the demo account on http://127.0.0.1:8080"),
            ("invharness serve --config examples/serve-config.yaml", "clock control and 2-second feeds for verify"),
            ("invharness serve --clock-control", "verify can move its clock: job closing is judged (loopback only)"),
            (
                "curl -X POST 'http://127.0.0.1:8080/oauth/token?username=admin&password=admin&client_id=DEMO"
                "&client_secret=demo-secret&grant_type=password&scope=api'",
                "a token",
            ),
        ),
        (
            (0, "stopped by Ctrl-C after finishing every accepted batch"),
            (2, "bad --config or options (clock control off loopback, too)"),
        ),
    ),
    "generate": Help(
        "generate a realistic segmented inventory dataset",
        "Write a seeded dataset of segmented inventory: batch JSON files of at most 5,000 records "
        "(ready to POST), NDJSON INVENTORY_DELTA events, and CSV and Parquet snapshots of every quantity, with a "
        "manifest of the seed, the counts and a SHA-256 of every file. The same seed and --as-of give the same "
        "bytes, whatever the number of processes or machines: --shard K/N writes the K-th of N disjoint parts "
        "(one per machine) and --merge-manifests joins the parts' manifests into the one-machine manifest.",
        (
            ("invharness generate --out demo --products 200 --locations 20", "a small dataset, current today"),
            ("invharness generate --out demo --as-of 2026-06-01 --seed 7", "the same bytes on any day"),
            ("invharness generate --out big --products 2000000 --locations 50 --shard 1/4", "machine 1 of 4"),
            ("invharness generate --merge-manifests big --out big", "after copying the 4 parts into big/"),
        ),
        ((0, "written"), _BAD_USAGE, _INTERRUPTED),
    ),
    "validate": Help(
        "check JSON or NDJSON payloads, or a directory of them, against a contract schema",
        "Check payloads against one schema of the contract. Prints every reason a payload breaks the schema, "
        "each with the JSONPath of the offending field. A .ndjson (or .jsonl) file holds one payload per line "
        "(the delta files `generate` writes) and problems name the line; a directory is every .json and .ndjson "
        "file under it. Without -s the schema is inferred for the files of a `generate` dataset (batches/: "
        "batch-create-request, deltas/: inventory-delta-event).",
        (
            ("invharness validate -s batch-create-request b.json", "one payload"),
            ("invharness validate -s inventory-delta-event demo/deltas/deltas-00000.ndjson", "one per line"),
            ("invharness validate demo", "a generated dataset (schemas inferred)"),
            ("cat event.json | invharness validate -s event-request -", "standard input"),
        ),
        ((0, "every payload conforms"), (1, "some payload does not"), (2, "bad usage or unreadable input")),
    ),
    "schemas": Help(
        "list the contract's JSON Schemas",
        "List the names (for validate -s) and titles of the contract's JSON Schemas.",
        (("invharness schemas", ""),),
        ((0, "listed"),),
    ),
    "clauses": Help(
        "list the clause catalogue and the profile keys",
        "List the normative clauses of the contract, with their severity, group and the profile key through "
        "which a target declares its answer to an open question. --json prints the catalogue for other tools: "
        "the clauses, each with its profile key's allowed values and the reference's value.",
        (
            ("invharness clauses --group bpp-precedence", "the rules of one group"),
            ("invharness clauses --json > clauses.json", "the catalogue for other tools"),
        ),
        ((0, "listed"), _BAD_USAGE),
    ),
}


def _top_epilog() -> str:
    lines = [f"  {HELP[name].examples[0][0]}" for name in HELP]
    return (
        "examples (one per command):\n"
        + "\n".join(lines)
        + "\n\n`invharness COMMAND --help` describes a command, with more examples and its exit codes.\n"
        "exit codes: 0 success / conforms; 1 does not conform; 2 bad usage; 3 (verify) no verdict possible; "
        "4 (verify) incomplete; 130 interrupted\n"
    )


def _command(commands: Any, name: str, description: str | None = None) -> Parser:
    spec = HELP[name]
    description = description or spec.description
    return commands.add_parser(
        name,
        help=spec.summary,
        description=description if "\n" in description else textwrap.fill(description, 100),
        epilog=spec.epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _verify(commands: Any) -> None:
    from invharness import verify as verify_command

    verify = _command(commands, "verify", verify_command.__doc__)
    verify_command.add_arguments(verify)
    verify.set_defaults(run=verify_command.run)


def _profile(commands: Any) -> None:
    from invharness import profile_cmd

    profile_cmd.add_arguments(_command(commands, "profile"))


def _report(commands: Any) -> None:
    from invharness import report_cmd

    report = _command(commands, "report", report_cmd.__doc__)
    report_cmd.add_arguments(report)
    report.set_defaults(run=report_cmd.run)


def _load(commands: Any) -> None:
    from invharness import load as load_command

    load = _command(commands, "load", load_command.__doc__)
    load_command.add_arguments(load)
    load.set_defaults(run=load_command.run)


def _fuzz(commands: Any) -> None:
    from invharness import fuzz as fuzz_command

    fuzz = _command(commands, "fuzz", fuzz_command.__doc__)
    fuzz_command.add_arguments(fuzz)
    fuzz.set_defaults(run=fuzz_command.run)


def _serve_command(commands: Any) -> None:
    from invharness.reference_impl import server as reference_server

    serve = _command(commands, "serve", reference_server.DESCRIPTION)
    reference_server.add_arguments(serve)
    serve.set_defaults(run=_serve)


def _clauses_command(commands: Any) -> None:
    clauses = _command(commands, "clauses")
    clauses.add_argument("--group", choices=sorted(contracts.catalogue().groups), help="only this group")
    clauses.add_argument("--json", action="store_true", help="print JSON instead of a table")
    clauses.set_defaults(run=_clauses)


# How each command's parser is built; a command's module is imported only when its parser is (the server's
# and the fuzzer's pull in a second of imports that `invharness --help` does not need).
_BUILDERS: dict[str, Callable[[Any], None]] = {
    "verify": _verify,
    "profile": _profile,
    "load": _load,
    "report": _report,
    "fuzz": _fuzz,
    "serve": _serve_command,
    "generate": lambda commands: _add_generate(_command(commands, "generate")),
    "validate": lambda commands: _add_validate(_command(commands, "validate")),
    "schemas": lambda commands: _command(commands, "schemas").set_defaults(run=_schemas),
    "clauses": _clauses_command,
}


def build_parser(only: str | None = None) -> Parser:
    """The argument parser of every subcommand (exposed for tests and shell completion); with ``only``, that
    subcommand's in full and the others' names and summaries alone (what `invharness --help` lists)."""
    from invharness import __version__

    parser = Parser(
        prog="invharness",
        description=textwrap.fill(
            "Conformance harness for inventory-ingestion APIs of the Fluent Commerce kind: judge a target clause "
            "by clause, run the reference server, generate datasets, check payloads and profiles.",
            100,
        ),
        epilog=_top_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"invharness {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, title="commands")
    for name, build in _BUILDERS.items():
        if only is None or only == name:
            build(commands)
        else:
            _command(commands, name)
    return parser


def _named_command(argv: Sequence[str]) -> str:
    """The subcommand ``argv`` names ("" when none: only the top-level options, or a name not known)."""
    word = next((a for a in argv if not a.startswith("-")), "")
    return word if word in _BUILDERS else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    try:
        words = sys.argv[1:] if argv is None else argv
        args = build_parser(only=_named_command(words)).parse_args(words)
        return args.run(args)
    except BrokenPipeError:  # e.g. `invharness clauses | head`: the reader left, nothing is lost
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\ninvharness: interrupted", file=sys.stderr)
        return INTERRUPTED


def entry() -> NoReturn:
    """The ``invharness`` command: ``main()``, then the process ends with its exit code."""
    code = main()
    # the work is done and said; a Ctrl-C while the interpreter winds down (joining a server's
    # worker threads) would print a traceback from threading's shutdown: end at once instead
    signal.signal(signal.SIGINT, _exit_interrupted)
    raise SystemExit(code)


def _exit_interrupted(signum: int, frame: FrameType | None) -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(INTERRUPTED)


# ------------------------------------------------------------------------------------------ validate


def _add_validate(validate: Parser) -> None:
    validate.add_argument(
        "-s",
        "--schema",
        choices=contracts.schema_names(),
        metavar="NAME",
        help="the schema to check against (see `invharness schemas`); inferred for a generated dataset",
    )
    validate.add_argument(
        "files", nargs="+", metavar="PATH", help="JSON or NDJSON files, directories of them; - reads standard input"
    )
    validate.set_defaults(run=_validate)


def _validate(args: argparse.Namespace) -> int:
    from invharness import payload_files

    try:
        files = payload_files.expand(args.files, args.schema)
    except payload_files.InputError as exc:
        print(f"invharness validate: {exc}", file=sys.stderr)
        return 2
    status = 0
    for file in files:
        status = max(status, payload_files.check(file, sys.stdout, sys.stderr))
    if len(files) > 1:
        print(f"{len(files)} file(s) checked; {'all conform' if status == 0 else 'see the problems above'}")
    return status


# ------------------------------------------------------------------------------------------ generate


def _add_generate(generate: Parser) -> None:
    generate.add_argument("--out", type=Path, metavar="DIR", help="directory to write (must be empty); required")
    generate.add_argument("--seed", type=int, default=1, help="the seed (default 1)")
    generate.add_argument("--products", type=positive, default=1000, help="products (default 1000)")
    generate.add_argument("--locations", type=positive, default=50, help="locations, a tenth of them DCs (default 50)")
    generate.add_argument(
        "--depth", type=positive, default=3, help="at most this many LAST_ON_HAND segments per position (default 3)"
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
    generate.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="DATE",
        help="the day the stock is current on, YYYY-MM-DD: expiry and expected dates follow it (default: today, UTC)",
    )
    generate.add_argument(
        "--shard",
        type=_part,
        default=None,
        metavar="K/N",
        help="write only the K-th of N disjoint parts (one per machine) and manifest.part-K-of-N.json",
    )
    generate.add_argument(
        "--merge-manifests",
        type=Path,
        nargs="+",
        default=None,
        metavar="DIR",
        help="join the part manifests found in these directories (or files) into --out/manifest.json; writes no data",
    )
    generate.add_argument("--processes", type=positive, default=None, help="worker processes (default: CPUs)")
    generate.add_argument("--overwrite", action="store_true", help="allow writing into a directory that has files")
    generate.set_defaults(run=_generate)


def _generate(args: argparse.Namespace) -> int:
    from invharness.generators import dataset

    if args.out is None:
        print("invharness generate: give --out DIR, the directory to write", file=sys.stderr)
        return 2
    if args.merge_manifests is not None:
        return _merge(args)
    problem = _unusable_out(args.out, args.shard, args.overwrite)
    if problem:
        print(f"invharness generate: {problem}", file=sys.stderr)
        return 2
    try:
        spec = dataset.DatasetSpec(
            seed=args.seed,
            products=args.products,
            locations=args.locations,
            out=args.out,
            depth=args.depth,
            formats=tuple(f.strip() for f in args.formats.split(",") if f.strip()),
            retailer_ids=args.retailers,
            **({"as_of": args.as_of} if args.as_of else {}),
        )
    except ValueError as exc:
        print(f"invharness generate: {exc}", file=sys.stderr)
        return 2
    manifest = _generate_with_progress(spec, args)
    counts = manifest["counts"]
    part = f"part {args.shard.number} of {args.shard.of}: " if args.shard else ""
    name = args.shard.manifest_name if args.shard else "manifest.json"
    print(
        f"{part}{counts['records']:,} records of {counts['positions']:,} positions ({counts['transients']:,} "
        f"transients, {counts['deltaEvents']:,} delta events) as of {spec.as_of} in {counts['files']:,} files "
        f"under {args.out}; see {name}"
    )
    return 0


def _generate_with_progress(spec: Any, args: argparse.Namespace) -> dict[str, Any]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from invharness.generators.dataset import generate

    columns = (TextColumn("positions"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    # on standard error, so that standard output holds only the summary
    with Progress(*columns, transient=True, console=Console(stderr=True)) as progress:
        task = progress.add_task("generate", total=None)
        return generate(
            spec,
            args.processes,
            lambda done, total: progress.update(task, completed=done, total=total),
            part=args.shard,
        )


_DATASET_ENTRIES = {"batches", "deltas", "snapshot-csv", "snapshot-parquet"}


def _unusable_out(out: Path, part: Any, overwrite: bool) -> str | None:
    """Why ``out`` may not be written (None when it may). The parts of a dataset may share a directory."""
    if overwrite or not out.exists():
        return None
    if not out.is_dir():
        return f"{out} is not a directory; choose another --out"
    entries = {entry.name for entry in out.iterdir()}
    if part is None:
        return f"{out} is not empty; choose another --out or pass --overwrite" if entries else None
    if part.manifest_name in entries:
        return f"{out} already holds part {part.number}/{part.of}; choose another --out or pass --overwrite"
    foreign = {e for e in entries if e not in _DATASET_ENTRIES and not e.startswith("manifest.part-")}
    return f"{out} holds files other than a dataset's parts ({', '.join(sorted(foreign)[:3])})" if foreign else None


def _merge(args: argparse.Namespace) -> int:
    from invharness.generators.dataset import ManifestError, merge_manifests, part_manifests

    try:
        manifest = merge_manifests(part_manifests(args.merge_manifests))
    except ManifestError as exc:
        print(f"invharness generate: {exc}", file=sys.stderr)
        return 2
    target = args.out / "manifest.json"
    if target.exists() and not args.overwrite:
        print(f"invharness generate: {target} exists; pass --overwrite to replace it", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    absent = sum(not (args.out / relative).is_file() for relative in manifest["files"])
    note = f"; {absent:,} of its files are not under {args.out} yet (copy the parts there)" if absent else ""
    print(f"{target}: {manifest['counts']['files']:,} files, {manifest['counts']['records']:,} records{note}")
    return 0


# ------------------------------------------------------------------------------------------ the rest


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
    """A clause as JSON, with the mutants its checks are proven to fail; where a profile key applies,
    its question, allowed values (null: any) and the reference server's value."""
    found: dict[str, Any] = {name: getattr(clause, name) for name in clause.__slots__}
    # the plausible bugs this clause's checks are proven to catch (mutants of the reference server)
    found["mutants"] = contracts.mutant_table().get(clause.id, [])
    if clause.profile:
        key = contracts.catalogue().profile_keys[clause.profile]
        found["profile_key"] = {
            "key": key.key,
            "question": key.question,
            "description": key.description,
            "values": None if key.values is None else list(key.values),
            "reference": key.reference,
        }
    return found


def _serve(args: argparse.Namespace) -> int:
    import errno

    from invharness.reference_impl.server import run_from_args

    try:
        return run_from_args(args)
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES):
            raise
        print(
            f"invharness serve: cannot listen on {args.host}:{args.port} ({exc.strerror}); choose another --port",
            file=sys.stderr,
        )
        return 2




def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a date as YYYY-MM-DD, e.g. 2026-06-01, not {text!r}") from None


def _part(text: str) -> Any:
    from invharness.generators.dataset import Part

    try:
        return Part.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _retailer_ids(text: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"retailer ids are whole numbers, e.g. 1,2 (not {text!r})") from None
    if not ids or min(ids) < 1 or len(set(ids)) != len(ids):
        raise argparse.ArgumentTypeError(f"give one or more distinct positive retailer ids, not {text!r}")
    return ids
