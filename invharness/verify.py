"""`invharness verify`: run the conformance suites against a target and judge it clause by clause.

With no --target-url the embedded reference server is started and judged. The suites run under
pytest with the suites plugin; a live progress line counts verdicts as checks finish; at the end
the clause matrix is summarised and results.json, junit.xml and report.html are written.

Exit codes: 0 the target conforms (every MUST clause passes or is a declared deviation);
1 it does not (a MUST clause fails); 2 bad usage (profile, options); 3 the harness or the
environment failed (errors, unreachable target) and no verdict is possible.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from invharness import contracts, suites
from invharness.suites.report import write_reports

__all__ = ["add_arguments", "run"]

CONFORMS, DOES_NOT_CONFORM, USAGE, HARNESS = 0, 1, 2, 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target-url", metavar="URL", help="the implementation to judge (default: the embedded reference server)"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="target profile (YAML): credentials, declared behaviours, features, deviations",
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
        help="only this clause group (repeatable), e.g. --group auth --group bpp-precedence",
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


@contextlib.contextmanager
def _target(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, Any]]]:
    if args.target_url:
        yield args.target_url, {}
        return
    from invharness.embedded import embedded_target

    with embedded_target() as target:
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
    ``bpp-precedence`` live in suites/test_bpp_precedence.py, and so on for every group."""
    known = contracts.catalogue().groups
    unknown = set(groups) - set(known)
    if unknown:
        raise ValueError(f"unknown group(s) {', '.join(sorted(unknown))}; known: {', '.join(known)}")
    root = Path(suites.__file__).parent
    return [str(root / f"test_{g.replace('-', '_')}.py") for g in groups] if groups else [str(root)]


def run(args: argparse.Namespace) -> int:
    """Judge the target; print the summary; answer the exit code."""
    try:
        selection = _selection(args.group)
    except ValueError as exc:
        print(f"invharness verify: {exc}", file=sys.stderr)
        return USAGE
    report_dir = args.report_dir.resolve()
    (report_dir / "results.json").unlink(missing_ok=True)
    run_id = f"ih{secrets.token_hex(3)}"
    started = time.time()
    with tempfile.TemporaryDirectory() as scratch, _target(args) as (url, overrides):
        profile = _profile_file(args, overrides, Path(scratch))
        # pytest runs in its own process under an empty configuration: neither this process's imports
        # nor a project's pytest settings (warnings as errors, say) may change how a target is judged.
        ini = Path(scratch) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        base = [
            sys.executable,
            "-m",
            "pytest",
            *selection,
            "-c",
            str(ini),
            "--rootdir",
            scratch,
            "-p",
            "invharness.suites.plugin",
            "-p",
            "invharness.progress_plugin",
            "-p",
            "no:cacheprovider",
            "--target-url",
            url,
            "--run-id",
            run_id,
        ]
        if profile is not None:
            base += ["--profile", str(profile)]
        if args.allow_remote_writes:
            base.append("--allow-remote-writes")
        if args.workers > 1:
            # in parallel, then the checks that move the target's clock (they close every open job) alone
            passes = [["-m", "not clock", "-n", str(args.workers), "--dist", "loadgroup"], ["-m", "clock"]]
        else:
            passes = [[]]
        checks = []
        for number, extra in enumerate(passes):
            directory = Path(scratch) / f"pass{number}"
            # pytest's own output goes to a log beside the reports (the live line is on stderr)
            report_dir.mkdir(parents=True, exist_ok=True)
            with (report_dir / f"pytest-pass{number}.log").open("w", encoding="utf-8") as log:
                command = [*base, *extra, "-q", "--report-dir", str(directory)]
                code = subprocess.run(command, stdout=log, check=False).returncode
            if (
                code in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERNAL_ERROR)
                or not (directory / "results.json").is_file()
            ):
                print(
                    f"\ninvharness verify: the suites could not run (pytest exit code {code}); see "
                    f"{report_dir / f'pytest-pass{number}.log'}",
                    file=sys.stderr,
                )
                return USAGE if code == pytest.ExitCode.USAGE_ERROR else HARNESS
            checks += json.loads((directory / "results.json").read_text(encoding="utf-8"))["checks"]
    print(file=sys.stderr)
    return _summary(write_reports(report_dir, checks, {"run_id": run_id, "started": started}), report_dir)


def _summary(results: dict[str, Any], directory: Path) -> int:
    summary = results["summary"]
    groups: dict[str, dict[str, int]] = {}
    for clause in results["clauses"]:
        counts = groups.setdefault(clause["group"], {})
        counts[clause["verdict"]] = counts.get(clause["verdict"], 0) + 1
    print(f"{'group':16} verdicts by clause")
    for group, counts in groups.items():
        print(f"{group:16} " + "  ".join(f"{v} {n}" for v, n in sorted(counts.items())))
    by_id = {c["id"]: c for c in results["clauses"]}
    for title, ids in (
        ("MUST clauses that fail", summary["failed_must"]),
        ("SHOULD clauses that fail", summary["failed_should"]),
        ("clauses with errors", summary["errors"]),
    ):
        if ids:
            print(f"\n{title}:")
            for clause_id in ids:
                message = next((c["message"] for c in by_id[clause_id]["checks"] if c["verdict"] != "pass"), "")
                print(f"  {clause_id:16} {by_id[clause_id]['statement']}\n  {'':16} -> {message[:200]}")
    verdict = "CONFORMS" if summary["conforms"] else "DOES NOT CONFORM"
    print(f"\n{verdict}: {summary['clauses']}; reports in {directory}/ (report.html, results.json, junit.xml)")
    if summary["errors"]:
        return HARNESS if summary["conforms"] else DOES_NOT_CONFORM
    return CONFORMS if summary["conforms"] else DOES_NOT_CONFORM
