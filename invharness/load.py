"""`invharness load`: put a target under load with locust, then judge it -- SLOs and reconciliation.

With no --target-url the reference server is started in a process of its own (so server and load
do not share one CPU budget unnoticed) and stopped afterwards. locust runs headless in its own
process(es) -- its gevent monkey-patching never reaches this process, pytest, boto3 or the server;
--workers K runs a master and K local workers, the same code path as workers on other machines.
The profile's credentials reach locust through environment variables, never its command line.
--dataset DIR replays a dataset written by `invharness generate` instead (batches, one job per
retailer, then delta events; at --rate or as fast as the target takes them), reconciled the same way.

Writes to --report-dir: locust's CSV (locust_stats.csv, ...) and HTML (locust.html) reports, the
logs, reconciliation.json, and results.json (metrics, SLO verdicts, reconciliation).

SLOs (a YAML file and/or flags; flags win):
    p95_batch_accept_ms: 2000      # p95 of POST /api/v4.1/job/{id}/batch
    p95_batch_complete_s: 30       # p95 of POST -> COMPLETE
    min_records_per_s: 50000       # records of COMPLETE batches per second
    max_error_rate: 0.01           # failed requests / requests (default 0.01)
    reconciliation: exact          # or "report" to only report it (default exact)

Exit codes: 0 every SLO holds; 1 one fails; 2 bad usage; 3 the harness or environment failed.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml

from invharness.argtypes import positive

__all__ = ["SCENARIOS", "HarnessTrouble", "Slo", "add_arguments", "evaluate", "run", "target"]

PASS, FAIL, USAGE, HARNESS = 0, 1, 2, 3
SCENARIOS = {"ingest": "ingest.py", "delta-storm": "delta_storm.py", "mixed": "mixed.py", "replay": "replay.py"}
SLO_KEYS = {
    "p95_batch_accept_ms": "max",
    "p95_batch_complete_s": "max",
    "min_records_per_s": "min",
    "max_error_rate": "max",
}
SERVER_START_S = 60.0
BATCH_ROW = ("POST", "/api/v4.1/job/[id]/batch")
COMPLETE_ROW = ("BATCH", "POST→COMPLETE")


@dataclass(slots=True, frozen=True)
class Slo:
    """One threshold and what the run measured against it."""

    name: str
    threshold: Any
    actual: Any
    holds: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target-url", metavar="URL", help="the target (default: the reference server, own process)")
    parser.add_argument("--profile", type=Path, metavar="FILE", help="target profile (YAML): credentials, retailer")
    parser.add_argument(
        "--scenario", choices=sorted(set(SCENARIOS) - {"replay"}), default="ingest", help="what load (default ingest)"
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        metavar="DIR",
        help="replay a dataset written by `invharness generate` (its batches, one job per retailer, then its "
        "delta events) instead of a scenario; the run ends when it is in",
    )
    parser.add_argument(
        "--rate", type=float, metavar="N", help="with --dataset: requests/s (default: as fast as taken)"
    )
    parser.add_argument("--users", type=positive, default=4, metavar="N", help="simulated users (default 4)")
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=None,
        metavar="R",
        help="users started per second (default: all at once); none sends before all have built their data",
    )
    parser.add_argument(
        "--run-time", metavar="T", help="how long, e.g. 30s, 5m (default 60s; with --dataset, at most 1h)"
    )
    parser.add_argument("--workers", type=int, default=0, metavar="K", help="a locust master and K local workers")
    parser.add_argument("--slo", type=Path, metavar="FILE", help="SLO thresholds (YAML)")
    parser.add_argument("--p95-accept-ms", type=float, metavar="MS", help="SLO: p95 batch accept latency at most MS")
    parser.add_argument("--p95-complete-s", type=float, metavar="S", help="SLO: p95 POST->COMPLETE at most S")
    parser.add_argument("--min-records-per-s", type=float, metavar="N", help="SLO: at least N records/s processed")
    parser.add_argument("--max-error-rate", type=float, metavar="E", help="SLO: failed share of requests at most E")
    parser.add_argument("--delta-rate", type=float, metavar="N", help="delta events/s per delta user (default 20)")
    parser.add_argument("--records-per-batch", type=int, metavar="N", help="records per ingest batch before duplicates")
    parser.add_argument("--run-id", help="ref prefix (default random; the same id gives the same refs and data)")
    parser.add_argument(
        "--report-dir", type=Path, default=Path("invharness-load"), metavar="DIR", help="default ./invharness-load"
    )
    parser.add_argument(
        "--allow-remote-writes", action="store_true", help="allow loading a target that is not on loopback"
    )


def run(args: argparse.Namespace) -> int:
    from invharness.suites.profile import ProfileError, load_profile

    try:
        slos = _slos(args)
        profile = load_profile(args.profile)
        duration = _seconds(args.run_time or ("1h" if args.dataset else "60s"))
        if args.dataset is not None:
            _check_dataset(args)
    except (ProfileError, ValueError, OSError, yaml.YAMLError) as exc:
        print(f"invharness load: {exc}", file=sys.stderr)
        return USAGE
    from invharness.suites.client import loopback

    if args.target_url and not (loopback(urlsplit(args.target_url).hostname or "") or args.allow_remote_writes):
        print(
            f"invharness load: {urlsplit(args.target_url).hostname} is not on loopback; a load run writes to its "
            "target: pass --allow-remote-writes to mean it",
            file=sys.stderr,
        )
        return USAGE
    out = args.report_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for stale in ("results.json", "reconciliation.json", "progress.json"):
        (out / stale).unlink(missing_ok=True)
    run_id = args.run_id or f"lt{secrets.token_hex(3)}"
    try:
        with target(args.target_url, out) as url:
            env = _environment(profile, args, run_id, out)
            code = _run_locust(args, url, env, out, duration, profile.batch_timeout_s)
    except HarnessTrouble as exc:
        print(f"\ninvharness load: {exc}", file=sys.stderr)
        return HARNESS
    if code is not None:
        return code
    return _judge(args, slos, out, run_id)


class HarnessTrouble(Exception):
    """The harness or its environment failed; no verdict on the target is possible."""


# ---------------------------------------------------------------------- inputs




def _seconds(text: str) -> float:
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text.strip())
    if not text.strip() or match is None:
        raise ValueError(f"--run-time takes e.g. 30s, 5m, 1h30m, not {text!r}")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _check_dataset(args: argparse.Namespace) -> None:
    if not (args.dataset / "manifest.json").is_file():
        raise ValueError(f"{args.dataset} holds no manifest.json: not a dataset written by `invharness generate`")
    if not any((args.dataset / "batches").glob("*.json")):
        raise ValueError(f"{args.dataset} holds no batch files (generate it with --formats batches,...)")
    if args.workers:
        raise ValueError("--dataset is replayed by one locust process (its files are shared out among its users)")
    args.scenario = "replay"


def _slos(args: argparse.Namespace) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    if args.slo is not None:
        raw = yaml.safe_load(args.slo.read_text(encoding="utf-8")) or {}
        if not isinstance(raw, dict):
            raise ValueError(f"{args.slo}: expected a mapping of SLOs")
    flags = {
        "p95_batch_accept_ms": args.p95_accept_ms,
        "p95_batch_complete_s": args.p95_complete_s,
        "min_records_per_s": args.min_records_per_s,
        "max_error_rate": args.max_error_rate,
    }
    raw.update({k: v for k, v in flags.items() if v is not None})
    unknown = set(raw) - set(SLO_KEYS) - {"reconciliation"}
    if unknown:
        raise ValueError(
            f"unknown SLO(s) {', '.join(sorted(unknown))}; known: {', '.join([*SLO_KEYS, 'reconciliation'])}"
        )
    for key in SLO_KEYS:
        if key in raw and (isinstance(raw[key], bool) or not isinstance(raw[key], int | float)):
            raise ValueError(f"SLO {key} is a number, not {raw[key]!r}")
    raw.setdefault("max_error_rate", 0.01)
    raw.setdefault("reconciliation", "exact")
    if raw["reconciliation"] not in ("exact", "report"):
        raise ValueError(f"SLO reconciliation is exact or report, not {raw['reconciliation']!r}")
    return raw




def _environment(profile: Any, args: argparse.Namespace, run_id: str, out: Path) -> dict[str, str]:
    """What the locust processes read (loadtests.settings): secrets here, never in argv."""
    knobs: dict[str, Any] = {
        "retailer": profile.primary_retailer,
        "request_timeout_s": profile.request_timeout_s,
        "batch_timeout_s": profile.batch_timeout_s,
        "poll_s": max(profile.poll_interval_s, 0.02),
        "job_lifetime": profile.value("job.lifetime"),
        "dedup_winner": profile.value("bpp.dedup_winner"),
        "idempotent_delta_id": bool(profile.value("delta.idempotent_delta_id")),
    }
    if args.delta_rate is not None:
        knobs["delta_rate"] = args.delta_rate
    if args.records_per_batch is not None:
        knobs["records_per_batch"] = args.records_per_batch
    if args.rate is not None:
        knobs["replay_rate"] = args.rate
    knobs.update(json.loads(os.environ.get("INVHARNESS_LOAD", "") or "{}"))  # a caller's own knobs win
    return {
        **os.environ,
        "INVHARNESS_USERNAME": profile.username,
        "INVHARNESS_PASSWORD": profile.password,
        "INVHARNESS_CLIENT_ID": profile.client_id,
        "INVHARNESS_CLIENT_SECRET": profile.client_secret,
        "INVHARNESS_RUN_ID": run_id,
        "INVHARNESS_LOAD_OUT": str(out),
        "INVHARNESS_LOAD": json.dumps(knobs),
        **({"INVHARNESS_DATASET": str(args.dataset.resolve())} if args.dataset else {}),
    }


# ---------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def target(url: str | None, out: Path, doing: str = "loading") -> Iterator[str]:
    """``url``, or (None) the reference server started in its own process for the block; its log goes
    to ``out``/server.log. Also the default target of `invharness fuzz`."""
    if url:
        yield url.rstrip("/")
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (out / "server.log").open("w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "invharness.reference_impl", "--port", str(port), "--log-level", "warning"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_answering(url, server)
            print(f"{doing} the reference server at {url} (its own process, pid {server.pid})", file=sys.stderr)
            yield url
        finally:
            _stop(server, 30)


def _wait_until_answering(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise HarnessTrouble(f"the reference server exited with {server.returncode}; see server.log")
        with contextlib.suppress(requests.RequestException):
            requests.post(url + "/oauth/token", timeout=2)
            return  # any HTTP answer: it is listening
        time.sleep(0.1)
    raise HarnessTrouble(f"the reference server did not answer within {SERVER_START_S:.0f}s")


def _stop(process: subprocess.Popen, grace_s: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _locustfile(scenario: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec("invharness.loadtests")
    assert spec is not None and spec.submodule_search_locations is not None
    return str(Path(next(iter(spec.submodule_search_locations))) / SCENARIOS[scenario])


def _run_locust(
    args: argparse.Namespace, url: str, env: dict[str, str], out: Path, duration: float, batch_timeout: float
) -> int | None:
    """Run locust to the end; None when it produced its reports, else the exit code to answer."""
    locustfile = _locustfile(args.scenario)
    stop_timeout = int(batch_timeout) + 5  # in-flight batches finish and are followed to COMPLETE
    head = [sys.executable, "-m", "locust", "-f", locustfile, "-H", url]
    master = [
        *head,
        "--headless",
        "-u",
        str(args.users),
        "-r",
        str(args.spawn_rate or args.users),
        "-t",
        f"{int(duration)}s",
        "--stop-timeout",
        str(stop_timeout),
        "--csv",
        str(out / "locust"),
        "--html",
        str(out / "locust.html"),
        "--only-summary",
    ]
    workers: list[list[str]] = []
    if args.workers > 0:
        port = _free_port()
        master += ["--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
        master += ["--expect-workers", str(args.workers), "--expect-workers-max-wait", "60"]
        workers = [[*head, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port)]] * args.workers
    budget = duration + stop_timeout + batch_timeout + 180  # run, stop, reconcile, start-up
    logs = [(out / "locust.log").open("w", encoding="utf-8")]
    logs += [(out / f"locust-worker-{n}.log").open("w", encoding="utf-8") for n in range(len(workers))]
    processes = []
    try:
        processes.append(subprocess.Popen(master, env=env, stdout=logs[0], stderr=subprocess.STDOUT))
        for n, command in enumerate(workers):
            processes.append(subprocess.Popen(command, env=env, stdout=logs[n + 1], stderr=subprocess.STDOUT))
        finished = _watch(processes[0], out, time.monotonic() + budget, duration)
    finally:
        for process in processes:
            _stop(process, 15)
        for log in logs:
            log.close()
    if not finished:
        raise HarnessTrouble(f"locust did not finish within {budget:.0f}s; see {out / 'locust.log'}")
    if not (out / "reconciliation.json").is_file() or not (out / "locust_stats.csv").is_file():
        raise HarnessTrouble(f"locust ended (exit {processes[0].returncode}) without its reports; see {out}/locust.log")
    return None


def _watch(master: subprocess.Popen, out: Path, deadline: float, duration: float) -> bool:
    """Live progress from progress.json until the master exits (or the deadline passes)."""
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

    console = Console(stderr=True)
    started = time.monotonic()
    previous: tuple[float, int] | None = None
    rate = 0.0

    def table(snapshot: dict[str, Any]) -> Table:
        grid = Table(title="invharness load", show_edge=False)
        for column in ("elapsed", "users", "records", "records/s", "requests", "failures", "req/s"):
            grid.add_column(column, justify="right")
        elapsed = time.monotonic() - started
        grid.add_row(
            f"{elapsed:.0f}s / {duration:.0f}s",
            str(snapshot.get("users", 0)),
            f"{snapshot.get('records', 0):,}",
            f"{rate:,.0f}",
            f"{snapshot.get('requests', 0):,}",
            f"{snapshot.get('failures', 0):,}",
            f"{snapshot.get('rps', 0):,.1f}",
        )
        return grid

    with Live(table({}), console=console, refresh_per_second=4, transient=False) as live:
        while master.poll() is None:
            if time.monotonic() > deadline:
                return False
            snapshot = _read_json(out / "progress.json") or {}
            if snapshot.get("at") and (previous is None or snapshot["at"] > previous[0]):
                if previous is not None:
                    rate = (snapshot["records"] - previous[1]) / (snapshot["at"] - previous[0])
                previous = (snapshot["at"], snapshot["records"])
            live.update(table(snapshot))
            time.sleep(0.25)
    console.print()
    return True


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------------- verdicts


def _stats(out: Path) -> list[dict[str, str]]:
    with (out / "locust_stats.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _metrics(rows: list[dict[str, str]], outcome: dict[str, Any]) -> dict[str, Any]:
    by_key = {(r["Type"], r["Name"]): r for r in rows}
    total = by_key.get(("", "Aggregated"), {"Request Count": "0", "Failure Count": "0"})
    requests_, failures = int(total["Request Count"]), int(total["Failure Count"])

    def p95(key: tuple[str, str], scale: float = 1.0) -> float | None:
        row = by_key.get(key)
        return None if row is None or row["95%"] in ("", "N/A") else float(row["95%"]) * scale

    return {
        "p95_batch_accept_ms": p95(BATCH_ROW),
        "p95_batch_complete_s": p95(COMPLETE_ROW, 0.001),
        "records_per_s": outcome.get("records_per_s", 0.0),
        "records_processed": outcome.get("records_processed", 0),
        "requests": requests_,
        "failures": failures,
        "error_rate": failures / requests_ if requests_ else 0.0,
    }


def evaluate(slos: dict[str, Any], metrics: dict[str, Any], reconciliation: dict[str, Any] | None) -> list[Slo]:
    """Each SLO asked for, judged; a threshold on something the run did not measure fails."""
    verdicts = []
    measured = {"min_records_per_s": "records_per_s", "max_error_rate": "error_rate"}
    for name, kind in SLO_KEYS.items():
        if name not in slos:
            continue
        actual = metrics.get(measured.get(name, name))
        holds = actual is not None and (actual <= slos[name] if kind == "max" else actual >= slos[name])
        verdicts.append(Slo(name, slos[name], actual, holds))
    exact = bool(reconciliation and reconciliation.get("exact"))
    verdicts.append(
        Slo(
            "reconciliation",
            slos["reconciliation"],
            "exact" if exact else "differs",
            exact or slos["reconciliation"] == "report",
        )
    )
    return verdicts


def _judge(args: argparse.Namespace, slos: dict[str, Any], out: Path, run_id: str) -> int:
    outcome = _read_json(out / "reconciliation.json") or {}
    if "error" in outcome:
        print(f"\ninvharness load: reconciliation could not run: {outcome['error'].splitlines()[0]}", file=sys.stderr)
        return HARNESS
    rows = _stats(out)
    metrics = _metrics(rows, outcome)
    reconciliation = outcome.get("reconciliation")
    verdicts = evaluate(slos, metrics, reconciliation)
    code = PASS if all(v.holds for v in verdicts) else FAIL
    results = {
        "run_id": run_id,
        "scenario": args.scenario,
        "users": args.users,
        "workers": args.workers,
        "run_time": args.run_time,
        "dataset": str(args.dataset) if args.dataset else None,
        "metrics": metrics,
        "slos": [{"name": v.name, "threshold": v.threshold, "actual": v.actual, "holds": v.holds} for v in verdicts],
        "reconciliation": reconciliation,
        "verdict": "pass" if code == PASS else "fail",
        "stats": rows,
    }
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    _print_summary(rows, verdicts, reconciliation or {}, out, code)
    return code


def _print_summary(
    rows: list[dict[str, str]], verdicts: list[Slo], reconciliation: dict[str, Any], out: Path, code: int
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(width=None if sys.stdout.isatty() else 120)
    stats = Table(title="requests", show_edge=False)
    for column in ("type", "name", "requests", "failures", "median ms", "p95 ms", "req/s"):
        stats.add_column(column, justify="left" if column in ("type", "name") else "right")
    for row in rows:
        stats.add_row(
            row["Type"],
            Text(row["Name"]),  # not markup: [id] is part of the name
            row["Request Count"],
            row["Failure Count"],
            f"{float(row['Median Response Time'] or 0):.0f}",
            row["95%"],
            f"{float(row['Requests/s'] or 0):.1f}",
        )
    console.print(stats)
    slo_table = Table(title="SLOs", show_edge=False)
    for column in ("slo", "threshold", "actual", "verdict"):
        slo_table.add_column(column)
    for v in verdicts:
        actual = f"{v.actual:,.3f}" if isinstance(v.actual, float) else str(v.actual)
        slo_table.add_row(v.name, str(v.threshold), actual, "holds" if v.holds else "[red]FAILS[/red]")
    console.print(slo_table)
    for kind, count in (reconciliation.get("counts") or {}).items():
        if count:
            named = reconciliation.get(kind, [])[:5]
            console.print(f"{count} {kind.replace('_', ' ')}, e.g. {json.dumps(named)}", soft_wrap=True, markup=False)
    verdict = "PASS" if code == PASS else "FAIL"
    console.print(f"\n{verdict}: reports in {out}/ (results.json, locust.html, locust_stats.csv)", markup=False)
