"""`invharness verify`: run the conformance suites against a target and judge it clause by clause.

With no --target-url the embedded reference server is started and judged. The suites run under
pytest with the suites plugin; a live progress line counts verdicts as checks finish; at the end
the clause matrix is summarised and results.json, junit.xml and report.html are written.

Outcome and exit code:
  0  CONFORMS          every MUST clause passes, is a declared deviation, or needs a feature declared off
  1  DOES NOT CONFORM  a MUST clause fails (with --strict, a SHOULD clause too)
  4  INCOMPLETE        no MUST clause fails, but some were not judged (errors, blocked or skipped checks,
                       groups not selected, an unreachable target, --max-time reached)
  2  bad usage (profile, options)
  3  the harness itself failed (the suites could not run)
  130  interrupted (Ctrl-C): what was judged until then is in the reports, the run INCOMPLETE
Choose checks with --group, --clause, or --last-failed DIR (the checks that did not pass in the run
whose reports are in DIR). SHOULD clauses that fail are warnings unless --strict. The same --run-id
replays a run's refs and generated inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import pytest
import requests
import yaml

from invharness import __version__, contracts, suites
from invharness.suites.client import loopback, redact, unreachable_reason
from invharness.suites.interrupts import held_back
from invharness.suites.profile import ProfileError, TargetProfile, load_profile
from invharness.suites.report import (
    CONFORMS,
    DOES_NOT_CONFORM,
    INCOMPLETE,
    JOURNAL,
    outcome_line,
    profile_digest,
    python_version,
    write_reports,
)

__all__ = ["add_arguments", "run"]

EXIT = {CONFORMS: 0, DOES_NOT_CONFORM: 1, INCOMPLETE: 4}
USAGE, HARNESS, INTERRUPTED = 2, 3, 130
_INTERRUPTED = "interrupted (Ctrl-C)"
_RUN_ID = re.compile(r"^[A-Za-z0-9]{1,24}$")
_VERDICTS = ("pass", "fail", "error", "blocked", "skipped", "deviation", "unsupported", "untested")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target-url", metavar="URL", help="the implementation to judge (default: the embedded reference server)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="target profile (YAML): credentials, declared behaviours, features, deviations; with no --target-url "
        "the embedded reference server plays its declared behaviours",
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("invharness-report"),
        metavar="DIR",
        help="where results.json, junit.xml and report.html go (default ./invharness-report)",
    )
    parser.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="GROUP",
        help="only this clause group (repeatable), e.g. --group auth --group bpp-precedence; "
        "the clauses of other groups are not judged, so the outcome is at best INCOMPLETE",
    )
    parser.add_argument(
        "--clause",
        action="append",
        default=[],
        metavar="ID",
        help="only the checks that cite this clause (repeatable), e.g. --clause BPP-PREC-12; "
        "the other clauses are not selected, so the outcome is at best INCOMPLETE",
    )
    parser.add_argument(
        "--last-failed",
        type=Path,
        default=None,
        metavar="DIR",
        help="re-run only the checks that did not pass (fail, error, blocked, skipped) in DIR/results.json, "
        "the --report-dir of an earlier run (pass its --target-url and --profile again)",
    )
    parser.add_argument(
        "--allow-remote-writes",
        action="store_true",
        help="allow judging a target that is not on loopback (the suites write to it)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="run checks in N processes (pytest-xdist; default: one process)",
    )
    parser.add_argument("--strict", action="store_true", help="a failing SHOULD clause fails the run too")
    parser.add_argument(
        "--max-time",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this long: the run ends INCOMPLETE with what was judged, reports written",
    )
    parser.add_argument(
        "--run-id",
        default=None,
        metavar="ID",
        help="replay a run: the same refs and generated inputs as the run of that id (see results.json)",
    )


@contextlib.contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, Any]]]:
    if args.target_url:
        yield args.target_url.rstrip("/"), {}
        return
    from invharness.embedded import declared_in, embedded_target

    with embedded_target(declared_in(args.profile)) as target:
        print(f"judging the embedded reference server at {target[0]}", file=sys.stderr)
        yield target


def _profile_file(args: argparse.Namespace, overrides: dict[str, Any], directory: Path) -> Path | None:
    if not overrides:
        return args.profile
    base = yaml.safe_load(args.profile.read_text(encoding="utf-8")) if args.profile else {}
    for key, value in overrides.items():
        base[key] = {**(base.get(key) or {}), **value} if isinstance(value, dict) else value
    path = directory / "profile.yaml"
    path.write_text(yaml.safe_dump(base), encoding="utf-8")
    return path


def _selection(groups: list[str]) -> list[str]:
    """The suite files of the groups asked for (all of suites/ when none): the checks of group
    ``bpp-precedence`` live in suites/test_bpp_precedence.py, and so on for every group; a group
    may be split by area (``security``: suites/test_security_limits.py, ...)."""
    known = contracts.catalogue().groups
    unknown = set(groups) - set(known)
    if unknown:
        raise ValueError(f"unknown group(s) {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    root = Path(suites.__file__).parent
    if not groups:
        return [str(root)]
    chosen = []
    for group in groups:
        stem = f"test_{group.replace('-', '_')}"
        files = sorted(root.glob(f"{stem}.py")) + sorted(root.glob(f"{stem}_*.py"))
        if not files:
            raise ValueError(f"group {group} has no suite file {stem}.py or {stem}_*.py")
        chosen += [str(path) for path in files]
    return chosen


@dataclass(slots=True, frozen=True)
class Choice:
    """What a run judges: the pytest arguments naming its checks, the clauses it is limited to
    (None: those of its groups), and the options that chose them, as a reader would type them."""

    paths: list[str]
    clauses: list[str]
    selected: list[str] | None
    text: str | None


def _choice(args: argparse.Namespace) -> Choice:
    if args.last_failed is not None:
        if args.group or args.clause:
            raise ValueError("--last-failed re-runs what an earlier run chose; leave out --group and --clause")
        nodes, clauses = _last_failed(args.last_failed)
        return Choice(nodes, [], clauses, f"--last-failed {args.last_failed}")
    clauses = [_clause_id(c) for c in args.clause]
    flags = [*(f"--group {g}" for g in args.group), *(f"--clause {c}" for c in clauses)]
    return Choice(_selection(args.group), clauses, clauses or None, " ".join(flags) or None)


def _clause_id(given: str) -> str:
    known = [c.id for c in contracts.clauses()]
    if given.upper() in known:
        return given.upper()
    close = difflib.get_close_matches(given.upper(), known, n=1)
    hint = f"; did you mean {close[0]}?" if close else " (see `invharness clauses`)"
    raise ValueError(f"no clause {given}{hint}")


_NOT_PASSED = ("fail", "error", "blocked", "skipped")


def _last_failed(directory: Path) -> tuple[list[str], list[str]]:
    """(pytest node ids, their clauses) of the checks that did not pass in ``directory``/results.json."""
    path = directory / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"--last-failed: there is no {path} (give the --report-dir of an earlier run)") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"--last-failed: cannot read {path}: {exc}") from None
    root = Path(suites.__file__).parent
    nodes: list[str] = []
    clauses: set[str] = set()
    for check in results.get("checks", []):
        if check.get("verdict") not in _NOT_PASSED or check.get("phase") == "step":
            continue  # a step's clause fails beside the checks it blocked: re-running those re-takes the step
        name, _, test = check["test"].partition("::")
        if not name.startswith("suites/test_") or not (root / name.removeprefix("suites/")).is_file():
            raise ValueError(f"--last-failed: {path} names {check['test']!r}, not a check of this harness")
        nodes.append(f"{root / name.removeprefix('suites/')}::{test}")
        clauses.update(check["clauses"])
    return nodes, sorted(clauses)


def _usage(args: argparse.Namespace) -> tuple[Choice, TargetProfile] | str:
    """(what to run, profile), or what is wrong with the command line."""
    try:
        selection = _choice(args)
        profile = load_profile(args.profile)
    except (ValueError, ProfileError) as exc:
        return str(exc)
    host = urlparse(args.target_url).hostname or "" if args.target_url else "127.0.0.1"
    if not loopback(host) and not args.allow_remote_writes:
        return (
            f"{args.target_url} is not on loopback: the suites create jobs, settings and feeds there. "
            "Pass --allow-remote-writes to judge it anyway."
        )
    if args.run_id is not None and not _RUN_ID.match(args.run_id):
        return f"--run-id is 1 to 24 letters and digits (it prefixes every ref), not {args.run_id!r}"
    if args.max_time is not None and args.max_time <= 0:
        return "--max-time is a number of seconds above 0"
    return selection, profile


def run(args: argparse.Namespace) -> int:
    """Judge the target; print the summary; answer the exit code."""
    checked = _usage(args)
    if isinstance(checked, str):
        print(f"invharness verify: {checked}", file=sys.stderr)
        return USAGE
    selection, profile = checked
    if not selection.paths:
        print(f"invharness verify: nothing to re-run: every check in {args.last_failed}/results.json passed")
        return 0
    report_dir = args.report_dir.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "results.json").unlink(missing_ok=True)
    run_id = args.run_id or f"ih{secrets.token_hex(3)}"
    started = time.time()
    deadline = None if args.max_time is None else started + args.max_time
    info: dict[str, Any] = {
        "run_id": run_id,
        "started": started,
        "harness_version": __version__,
        "groups": args.group,
        "strict": args.strict,
        "stopped": None,
        # what replays this run: the same refs and the same generated inputs (seeds derive from the run id)
        "replay": f"invharness verify --run-id {run_id}" + (f" {selection.text}" if selection.text else ""),
        "clauses": selection.clauses,
        "last_failed": None if args.last_failed is None else str(args.last_failed),
        "selected": selection.selected,
        "selection": selection.text,
        "workers": args.workers,
        "max_time": args.max_time,
        "profile": None if args.profile is None else str(args.profile),
        "profile_digest": profile_digest(args.profile, profile.secrets()),
        "python": python_version(),
        "embedded": not args.target_url,
    }
    checks: list[dict[str, Any]] = []
    # A Ctrl-C is a flag, never an exception here: raised anywhere (reading a pass's results, tearing the
    # target down, writing the reports) it would lose what was judged. The suites' process is stopped
    # when it comes (_pytest watches the flag); everything after that is short and runs to its end.
    with held_back(reraise=False) as ctrl_c:
        with tempfile.TemporaryDirectory() as scratch, _target(args) as (url, overrides):
            info["target"] = redact(url, profile.secrets())
            problem = _unreachable(url, profile)
            if problem is not None:
                print(problem, file=sys.stderr)
                info["stopped"] = problem
            else:
                code = _run_passes(
                    args, url, overrides, selection, info, deadline, Path(scratch), report_dir, checks, ctrl_c.arrived
                )
                if code is not None:
                    return code
        print(file=sys.stderr)
        code = _summary(write_reports(report_dir, checks, info), report_dir)
    return INTERRUPTED if info["stopped"] == _INTERRUPTED else code


def _unreachable(url: str, profile: TargetProfile) -> str | None:
    """One line when nothing answers at ``url`` (any HTTP answer, even 404, means it is there)."""
    wait = min(5.0, profile.request_timeout_s)
    shown = redact(url, profile.secrets())
    try:
        requests.get(url + "/", timeout=wait, allow_redirects=False)
    except requests.Timeout:
        return f"target {shown} unreachable: no answer within {wait:g}s"
    except requests.RequestException as exc:
        return f"target {shown} unreachable: {unreachable_reason(exc)}"
    return None


def _run_passes(
    args: argparse.Namespace,
    url: str,
    overrides: dict[str, Any],
    selection: Choice,
    info: dict[str, Any],
    deadline: float | None,
    scratch: Path,
    report_dir: Path,
    checks: list[dict[str, Any]],
    interrupted: Callable[[], bool],
) -> int | None:
    """Run the suites (one pass, or a parallel pass and the clock pass); the exit code when they
    could not run, else None with ``checks`` and ``info['stopped']`` filled in. ``interrupted`` says
    whether a Ctrl-C came: the pass running is stopped (keeping what it judged), no other starts."""
    profile_path = _profile_file(args, overrides, scratch)
    secrets_ = load_profile(profile_path, {}).secrets() if profile_path else load_profile(None).secrets()
    # pytest runs in its own process under an empty configuration: neither this process's imports
    # nor a project's pytest settings (warnings as errors, say) may change how a target is judged.
    ini = scratch / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    base = [
        sys.executable,
        "-m",
        "pytest",
        *selection.paths,
        "-c",
        str(ini),
        "--rootdir",
        str(scratch),
        "-p",
        "invharness.suites.plugin",
        "-p",
        "invharness.progress_plugin",
        "-p",
        "no:cacheprovider",
        "--tb=short",
        "--target-url",
        url,
        "--run-id",
        info["run_id"],
    ]
    if profile_path is not None:
        base += ["--profile", str(profile_path)]
    for clause_id in selection.clauses:
        base += ["--clause", clause_id]
    if args.allow_remote_writes:
        base.append("--allow-remote-writes")
    if args.strict:
        base.append("--strict-should")
    if deadline is not None:
        base += ["--deadline", str(deadline)]
    if args.workers > 1:
        # in parallel, then the checks that move the target's clock (they close every open job) alone
        passes = [["-m", "not clock", "-n", str(args.workers), "--dist", "loadgroup"], ["-m", "clock"]]
    else:
        passes = [[]]
    for number, extra in enumerate(passes):
        if info["stopped"]:
            break
        directory = scratch / f"pass{number}"
        log_path = report_dir / f"pytest-pass{number}.log"
        if interrupted():
            info["stopped"] = _INTERRUPTED
            break
        code = _pytest([*base, *extra, "-q", "--report-dir", str(directory)], log_path, secrets_, deadline, interrupted)
        if interrupted():  # Ctrl-C: keep what was judged, write partial reports, say so
            info["stopped"] = _INTERRUPTED
        results = directory / "results.json"
        if code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR) or not (
            results.is_file() or code is None
        ):
            print(
                f"\ninvharness verify: the suites could not run (pytest exit code {code}); see {log_path}",
                file=sys.stderr,
            )
            return USAGE if code == pytest.ExitCode.USAGE_ERROR else HARNESS
        if results.is_file():
            done = json.loads(results.read_text(encoding="utf-8"))
            checks += done["checks"]
            if info["stopped"] != _INTERRUPTED:
                info["stopped"] = done.get("run", {}).get("stopped")
        else:  # killed at --max-time, or interrupted: what was judged is in the journal
            journal = directory / JOURNAL
            lines = journal.read_text(encoding="utf-8").splitlines() if journal.is_file() else []
            checks += [json.loads(line) for line in lines if line.strip()]
            info["stopped"] = info["stopped"] or "the run reached its --max-time"
    return None


def _pytest(
    command: list[str], log_path: Path, secrets_: list[str], deadline: float | None, interrupted: Callable[[], bool]
) -> int | None:
    """Run pytest with its output redacted on the way: stdout to ``log_path``, stderr (the live
    line) to ours. Killed 30 s after ``deadline`` (its own checks stop at it), stopped when
    ``interrupted()``; None when it did not end on its own."""
    env = {**os.environ, "INVHARNESS_TTY": "1" if sys.stderr.isatty() else "0"}
    killed_at = None if deadline is None else deadline + 30
    with (
        log_path.open("w", encoding="utf-8") as log,
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as process,
    ):
        relays = [
            threading.Thread(target=_relay, args=(process.stdout, log, secrets_), daemon=True),
            threading.Thread(target=_relay, args=(process.stderr, sys.stderr, secrets_), daemon=True),
        ]
        for relay in relays:
            relay.start()
        code: int | None = None
        # bounded by the child's end, its --max-time (then it is killed) or a Ctrl-C (then it is stopped)
        while (code := process.poll()) is None:
            if interrupted():
                _stop(process)
                code = None
                break
            if killed_at is not None and time.time() > killed_at:
                process.kill()
                process.wait()
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)
        for relay in relays:
            relay.join(timeout=5)
    return code


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End pytest after a Ctrl-C so that it still writes what it judged: a terminal's Ctrl-C reached
    it too; otherwise (a signal to us alone) it is sent one. Bounded: killed when it lingers."""
    for signal_it, wait in ((False, 3), (True, 30)):
        if signal_it and process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
    process.kill()
    process.wait()


def _relay(source: IO[bytes], sink: IO[str], secrets_: list[str]) -> None:
    """Copy ``source`` to ``sink`` line by line (a \\r ends a line too), each line redacted."""
    pending = b""
    while chunk := source.read1(65536):  # type: ignore[attr-defined]
        pending += chunk
        cut = max(pending.rfind(b"\n"), pending.rfind(b"\r"))
        if cut < 0 and len(pending) < 1 << 20:
            continue
        head, pending = (pending[: cut + 1], pending[cut + 1 :]) if cut >= 0 else (pending, b"")
        sink.write(redact(head.decode("utf-8", "replace"), secrets_))
        sink.flush()
    if pending:
        sink.write(redact(pending.decode("utf-8", "replace"), secrets_))
        sink.flush()


def _summary(results: dict[str, Any], directory: Path) -> int:
    summary = results["summary"]
    _table(results["clauses"])
    by_id = {c["id"]: c for c in results["clauses"]}
    failing = [("MUST clauses that fail", summary["failed_must"])]
    failing.append(
        ("SHOULD clauses that fail" + ("" if summary["strict"] else " (warnings)"), summary["failed_should"])
    )
    for title, ids in failing:
        if ids:
            print(f"\n{title}:")
            for clause_id in ids:
                _explain(by_id[clause_id], results["checks"])
    _reasons(results["checks"])
    if summary["unjudged_must"]:
        print(f"\nMUST clauses not judged ({len(summary['unjudged_must'])}):")
        for why, ids in _grouped(summary["unjudged_must"]):
            print(f"  {why[:160]}\n      {_wrap(ids)}")
    if summary.get("stopped"):
        print(f"\nthe run stopped early: {summary['stopped']}")
    print(f"\n{outcome_line(summary)}")
    print(f"reports in {directory}/ (report.html, results.json, junit.xml); replay: {results['run']['replay']}")
    return EXIT[summary["outcome"]]


def _table(clauses: list[dict[str, Any]]) -> None:
    """Counts of clause verdicts by group, one row a group, one column a verdict."""
    groups: dict[str, dict[str, int]] = {}
    for clause in clauses:
        counts = groups.setdefault(clause["group"], {})
        counts[clause["verdict"]] = counts.get(clause["verdict"], 0) + 1
    columns = [v for v in _VERDICTS if any(v in counts for counts in groups.values())]
    print(f"{'clauses by group':18}" + "".join(f"{v:>12}" for v in columns))
    for group, counts in groups.items():
        print(f"{group:18}" + "".join(f"{counts.get(v, '') or '.':>12}" for v in columns))
    totals = {v: sum(c.get(v, 0) for c in groups.values()) for v in columns}
    print(f"{'total':18}" + "".join(f"{totals[v]:>12}" for v in columns))


def _explain(clause: dict[str, Any], checks: list[dict[str, Any]]) -> None:
    """A failing clause as a QA engineer needs it: the statement as declared, the message, the evidence."""
    declared = f" [{clause['profile']} = {clause['declared']}]" if clause.get("declared") is not None else ""
    print(f"  {clause['id']:16} {clause['statement']}{declared}")
    by_test = {c["test"]: c for c in checks}
    for check in clause["checks"]:
        if check["verdict"] != "fail":
            continue
        message = check["message"].replace("\n", "\n" + " " * 21)
        print(f"  {'':16} -> {check['test']}\n  {'':18} {message[:800]}")
        exchanges = by_test.get(check["test"], {}).get("exchanges") or []
        if exchanges:
            last = exchanges[-1]
            print(f"  {'':18} evidence: {last['method']} {last['url']} -> {last['status']}: {last['response'][:160]}")
        break


def _reasons(checks: list[dict[str, Any]]) -> None:
    """Why checks were not judged: one line per distinct reason, with how many checks it holds."""
    for verdict in ("error", "blocked", "skipped", "unsupported"):
        these = [{"id": c["test"].rpartition("::")[2], "why": c["message"]} for c in checks if c["verdict"] == verdict]
        if these:
            print(f"\n{verdict} checks ({len(these)}):")
            for why, ids in _grouped(these)[:12]:
                print(f"  {why.splitlines()[0][:160] if why else '(no reason given)'}\n      {_wrap(ids)}")


def _grouped(rows: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    grouped: dict[str, list[str]] = {}
    for row in rows:
        grouped.setdefault(row["why"], []).append(row["id"])
    return sorted(grouped.items(), key=lambda kv: -len(kv[1]))


def _wrap(ids: list[str]) -> str:
    shown = ", ".join(ids[:8])
    return shown + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
