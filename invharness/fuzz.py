"""`invharness fuzz`: fuzz a target's REST and GraphQL APIs from the contract with schemathesis's engine.

Every operation of contracts/openapi.yaml gets schema-valid and schema-breaking requests (schemathesis's
examples, coverage and fuzzing phases); the OpenAPI links walk create job -> create batch -> read batch ->
read job and create event -> read event (its stateful phase, one run per family of linked operations, each
with --max-examples sequences); every field of contracts/schema.graphql is
queried and mutated; the labelled-invalid payloads of invharness.generators (each breaks a named rule)
are sent too. Each answer is judged by schemathesis's checks: no 5xx, a documented status, content
type, headers and body, invalid input refused with a 4xx, valid input accepted, 405 with Allow, an
answer within the profile's request timeout; GraphQL errors in the `errors` shape.

With no --target-url the reference server is started in its own process. Requests carry a token from
the profile's credentials (one that expires or is revoked mid-run is fetched again on its 401 and the
request resent once, as verify's client does); a batch or a read needs a parent, so the run
creates an open job, a batch and an event of the profile's primary retailer first, and valid bodies
carry that retailer (a batch, a catalogue of its: <type>:<retailerId>) and the run's ref prefix
(fz<seed>-). Writes go only to a loopback target unless --allow-remote-writes.

Left out unless --with-settings-mutations: the GraphQL mutations Mutation.createSetting and
Mutation.updateSetting -- they change how a shared target pre-processes every retailer's batches (the
ACCOUNT fc.enable.batch.preprocessing setting).

Each failure is shrunk by schemathesis, deduplicated by cause (operation, check, kind, status) and
printed with the check, a curl reproduction (the token as $TOKEN; results.json holds the line that
sets it) and the seed; results.json, junit.xml and report.html go to --report-dir.

Replay: the same --seed and options against a target in the same state (a fresh reference server, the
default target, is) send the same requests in the same order, in every phase and source -- with --workers 1
(with more, schemathesis's workers race: the examples, coverage and fuzzing phases vary from run to run, even
in their count of cases; the stateful runs, on one thread, do not) and the same versions of invharness,
schemathesis and hypothesis, installed alike. The examples, coverage and fuzzing phases, GraphQL and the
generators draw on the seed and the contract only, never on what the target answered. The stateful runs
come apart from the other phases and take from answers only the ids the contract's links carry; the status
codes answered choose their next steps, so a target that answers a step otherwise (another status, a
timeout) sends the sequence another way from there. results.json's run.digests holds a SHA-256 per source
and phase ("rest coverage", "rest stateful", "graphql fuzzing", "generators", ...) of the requests sent,
each id the target issued written as what it is and the order it was first answered in (<job 0>, <event
5>): two runs whose targets number their ids differently compare equal, and equal digests mean the same
requests in the same order.

Exit codes: 0 nothing found; 1 failures found; 2 bad usage; 3 the harness or environment failed.
"""

from __future__ import annotations

import argparse
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from invharness.argtypes import positive
from invharness.fuzz_engine import (
    EXCLUDED_BY_DEFAULT,
    PHASES,
    Outcome,
    Parents,
    Settings,
    engine_runs,
    execute,
    graphql_schema,
    make_parents,
    rest_schema,
)
from invharness.fuzz_links import contract_links
from invharness.fuzz_report import Finding, Run, deduplicated, token_command, write_reports
from invharness.fuzz_transcript import Transcript
from invharness.suites.client import HarnessError, StepFailed, TargetClient, loopback, redact, unreachable_reason
from invharness.suites.profile import ProfileError, TargetProfile, load_profile

__all__ = ["add_arguments", "run"]

CLEAN, FOUND, USAGE, HARNESS = 0, 1, 2, 3
DEFAULT_EXAMPLES = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-url", metavar="URL", help="the target (default: the reference server, own process)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="target profile (YAML): credentials, retailer")
    parser.add_argument(
        "--max-examples",
        type=positive,
        default=DEFAULT_EXAMPLES,
        metavar="N",
        help=f"generated cases per operation and phase (default {DEFAULT_EXAMPLES}); also labelled-invalid "
        "payloads per family",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=None,
        metavar="S",
        help="replay a run: the same requests in the same order, every phase (see Replay: above; default: random, "
        "printed)",
    )
    parser.add_argument("--workers", type=positive, default=1, metavar="K", help="concurrent requests (default 1)")
    parser.add_argument(
        "--operation",
        metavar="PATTERN",
        help="only operations whose label matches this regular expression, e.g. 'POST /api/v4.1/job' or "
        "'Mutation\\.createInventoryQuantity'",
    )
    parser.add_argument(
        "--graphql", action=argparse.BooleanOptionalAction, default=True, help="fuzz /graphql too (default on)"
    )
    parser.add_argument(
        "--stateful",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="walk the contract's links as sequences (default on)",
    )
    parser.add_argument(
        "--phases",
        type=_phases,
        default=PHASES,
        metavar="LIST",
        help=f"schemathesis's phases to run, comma-separated (default {','.join(PHASES)})",
    )
    parser.add_argument(
        "--generators",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="send the labelled-invalid payloads of invharness.generators too (default on)",
    )
    parser.add_argument(
        "--with-settings-mutations",
        action="store_true",
        help=f"also fuzz {' and '.join(EXCLUDED_BY_DEFAULT)} (they change account-wide state; off by default)",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("invharness-fuzz"),
        metavar="DIR",
        help="where report.html, results.json and junit.xml go (default ./invharness-fuzz)",
    )
    parser.add_argument(
        "--allow-remote-writes", action="store_true", help="allow fuzzing a target that is not on loopback"
    )


def _phases(text: str) -> tuple[str, ...]:
    chosen = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = set(chosen) - set(PHASES)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"phases are some of {','.join(PHASES)}, not {text!r}")
    return chosen


def _seed(text: str) -> int:
    if not text.isdigit() or int(text) >= 2**63:
        raise argparse.ArgumentTypeError(f"a seed is a whole number from 0, not {text!r}")
    return int(text)


def _usage(args: argparse.Namespace) -> TargetProfile | str:
    """The profile, or what is wrong with the command line."""
    try:
        profile = load_profile(args.profile)
    except ProfileError as exc:
        return str(exc)
    if args.operation is not None:
        try:
            re.compile(args.operation)
        except re.error as exc:
            return f"--operation {args.operation!r} is not a regular expression: {exc}"
    if args.target_url:
        host = urlsplit(args.target_url).hostname or ""
        if not loopback(host) and not args.allow_remote_writes:
            return (
                f"{host} is not on loopback: fuzzing creates jobs, batches, events and feeds there. "
                "Pass --allow-remote-writes to mean it."
            )
    return profile


def run(args: argparse.Namespace) -> int:
    """Fuzz the target; print the findings; answer the exit code."""
    from invharness.load import HarnessTrouble, target

    checked = _usage(args)
    if isinstance(checked, str):
        print(f"invharness fuzz: {checked}", file=sys.stderr)
        return USAGE
    profile = checked
    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    out = args.report_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "junit.xml", "report.html"):
        (out / stale).unlink(missing_ok=True)
    try:
        with target(args.target_url, out, "fuzzing") as url:
            return _fuzz(args, url, profile, seed, out)
    except HarnessTrouble as exc:
        print(f"invharness fuzz: {exc}", file=sys.stderr)
        return HARNESS


def _fuzz(args: argparse.Namespace, url: str, profile: TargetProfile, seed: int, out: Path) -> int:
    client = TargetClient(url, profile)
    shown = redact(url, profile.secrets())
    try:
        requests.post(url + "/oauth/token", timeout=min(5.0, profile.request_timeout_s))
    except requests.RequestException as exc:
        print(f"invharness fuzz: target {shown} unreachable: {unreachable_reason(exc)}", file=sys.stderr)
        return HARNESS
    settings = Settings(
        seed=seed,
        max_examples=args.max_examples,
        workers=args.workers,
        operation=args.operation,
        phases=tuple(p for p in args.phases if p != "stateful" or args.stateful),
        settings_mutations=args.with_settings_mutations,
        run_id=f"fz{seed}",
    )
    print(f"fuzzing {shown} with seed {seed} (replay: {_replay(args, seed)})", file=sys.stderr)
    started = time.monotonic()
    tally = _Tally()
    try:
        parents = _parents(client, settings, tally.findings)
        _run_all(args, url, client, settings, parents, tally)
    except HarnessError as exc:  # the target stopped answering, or our own environment failed
        tally.errors.append(str(exc))
    found = deduplicated(tally.findings)
    run_info = Run(
        run_id=settings.run_id,
        seed=seed,
        target=shown,
        replay=_replay(args, seed),
        token_command=token_command(url, profile.client_id, profile.username),
        cases=tally.cases,
        seconds=round(time.monotonic() - started, 1),
        excluded=() if args.with_settings_mutations else EXCLUDED_BY_DEFAULT,
        digests=tally.digests,
        errors=tuple(redact(e, client.secrets()) for e in tally.errors),
    )
    write_reports(out, run_info, found, tally.operations)
    _print_findings(run_info, found, out)
    return FOUND if found else (HARNESS if tally.errors else CLEAN)


@dataclass(slots=True)
class _Tally:
    """What the engine runs and the generators of one fuzz run found and sent, added up as they end."""

    findings: list[Finding] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)  # by "source phase"
    errors: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # by "source phase", see fuzz_engine.Transcript

    def add(self, source: str, outcome: Outcome) -> None:
        for phase, n in outcome.cases.items():
            self.cases[f"{source} {phase}"] = self.cases.get(f"{source} {phase}", 0) + n
        self.findings += outcome.findings
        self.errors += outcome.errors
        self.operations += [label for label in outcome.operations if label not in self.operations]


def _parents(client: TargetClient, settings: Settings, findings: list[Finding]) -> Parents:
    """This run's parents; a target that cannot create them has failed (the finding says which step)."""
    try:
        return make_parents(client, settings.run_id)
    except StepFailed as exc:
        findings.append(Finding("setup", exc.clause, "parent", "the run could not create its parents", exc.message, ""))
        return Parents(str(client.profile.primary_retailer), None, None, None)


def _run_all(
    args: argparse.Namespace, url: str, client: TargetClient, settings: Settings, parents: Parents, tally: _Tally
) -> None:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from invharness.fuzz_invalid import send_invalid

    columns = (SpinnerColumn(), TextColumn("{task.description:12.40}"), TextColumn("{task.fields[status]}"))
    with Progress(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=False) as progress:

        def tracker(name: str) -> Callable[[int, int], None]:
            task = progress.add_task(name, status="starting")
            return lambda n, failures: progress.update(task, status=f"{n:,} cases, {failures} failure(s)")

        def run_source(source: str, build: Callable[[Settings], Any], links: list[tuple[str, str]] | None) -> None:
            """Every engine run of one source (its schema built for each), into one transcript."""
            transcript = Transcript(parents)
            for part in engine_runs(settings, links):
                schema = build(part)
                if not any(True for _ in schema.get_all_operations()):
                    continue  # --operation selects none of its operations (the engine would then run them all)
                walked = f" {part.only[0]}" if part.only else ""
                name = f"{source} stateful{walked}" if part.phases == ("stateful",) else source
                track = tracker(name)
                outcome = execute(schema, source, client.secrets, track, transcript)
                if not outcome.cases:
                    track(0, 0)  # nothing to walk (no scenario ended): say so rather than "starting"
                tally.add(source, outcome)
            tally.digests.update({f"{source} {phase}": digest for phase, digest in transcript.digests.items()})

        run_source("rest", lambda part: rest_schema(url, client, part, parents), contract_links())
        if args.graphql:
            run_source("graphql", lambda part: graphql_schema(url, client, part), None)
        if args.generators:
            pattern = re.compile(args.operation) if args.operation else None
            sent, found, tally.digests["generators"] = send_invalid(
                url,
                client,
                parents.job_id,
                settings.seed,
                args.max_examples,
                lambda label: pattern is None or pattern.search(label) is not None,
                tracker("generators"),
            )
            tally.cases["generators"] = sent
            tally.findings += found


def _replay(args: argparse.Namespace, seed: int) -> str:
    parts = ["invharness fuzz", f"--seed {seed}", f"--max-examples {args.max_examples}"]
    if args.target_url:
        parts.append(f"--target-url {args.target_url}")
    if args.profile:
        parts.append(f"--profile {args.profile}")
    if args.operation:
        parts.append(f"--operation '{args.operation}'")
    if tuple(args.phases) != PHASES:
        parts.append(f"--phases {','.join(args.phases)}")
    for flag in ("graphql", "stateful", "generators"):
        if not getattr(args, flag):
            parts.append(f"--no-{flag}")
    if args.with_settings_mutations:
        parts.append("--with-settings-mutations")
    return " ".join(parts)


def _print_findings(run_info: Run, findings: list[Finding], out: Path) -> None:
    total = sum(run_info.cases.values())
    counts = ", ".join(f"{n:,} {source}" for source, n in run_info.cases.items())
    print(f"\n{total:,} cases ({counts}) in {run_info.seconds:.0f}s, {run_info.cases_per_s:.1f} cases/s")
    for number, finding in enumerate(findings, 1):
        print(f"\n{number}. {finding.operation}: {finding.title} [{finding.check}]")
        print("   " + finding.message.strip().replace("\n", "\n   ")[:1500])
        if finding.reproduction:
            print("   reproduce (TOKEN: see results.json run.token_command):")
            print("     " + finding.reproduction.replace("\n", "\n     "))
        print(f"   seed {run_info.seed}")
    for error in run_info.errors:
        print(f"\nharness error: {error[:500]}")
    verdict = f"{len(findings)} failure(s) found" if findings else "no failures found"
    print(f"\n{verdict}; reports in {out}/ (report.html, results.json, junit.xml); replay: {run_info.replay}")
