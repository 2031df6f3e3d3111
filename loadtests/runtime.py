"""What every scenario shares inside a locust process: the settings, the ledger, logged-in users,
batch following, and the hooks that reconcile at the end of a run.

Distributed runs: the master's ``test_stop`` fires before its workers stop, so the master asks
every worker for its ledger (``ih_ledger_request``); a worker stops its users (letting in-flight
batches finish, within ``--stop-timeout``), then answers with ``ih_ledger``. The master waits,
boundedly, for one ledger per worker, merges them and reconciles once. Local runs reconcile their
own ledger. The reconciliation goes to the log and, with INVHARNESS_LOAD_OUT, to
reconciliation.json; a discrepancy makes the locust process exit 1.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
import traceback
from typing import Any
from urllib.parse import urlencode

import gevent
import gevent.event
from locust import FastHttpUser, events
from locust.env import Environment
from locust.runners import STATE_INIT, STATE_STOPPED, MasterRunner, WorkerRunner

from invharness.loadtests.ledger import Ledger
from invharness.loadtests.readback import reconcile_run
from invharness.loadtests.settings import LoadSettings, redact

__all__ = ["LEDGER", "SETTINGS", "TargetUser", "json_body", "owner"]

log = logging.getLogger("invharness.load")
SETTINGS = LoadSettings.from_env()
LEDGER = Ledger()
_USERS = itertools.count()
_STATE: dict[str, Any] = {"worker": 0, "ledgers": {}, "sent": False, "started": None, "prepared": 0}
BATCH_TYPE, BATCH_NAME = "BATCH", "POST→COMPLETE"
JOB_CLOSE_MARGIN_S = 60
SPAWN_WAIT_S = 300
MAX_POLL_S = 0.5
_SPAWNED = gevent.event.Event()
_QUITTING = gevent.event.Event()  # set when locust quits: ends the progress writer
# gevent's loop caches "now" and has not run since locust started importing; --run-time is scheduled
# from that cached time, so seconds of imports were taken off the run. Refresh it once imported.
gevent.get_hub().loop.update_now()


def owner(letter: str) -> str:
    """A ref prefix no other user, process or worker of this run has: run id, worker index, user index."""
    return f"{SETTINGS.run_id}-{letter}{_STATE['worker']}-{next(_USERS)}"


class TargetUser(FastHttpUser):
    """A user logged in to the target (the token goes in a form body, never a query string)."""

    abstract = True
    network_timeout = SETTINGS.request_timeout_s
    connection_timeout = SETTINGS.request_timeout_s

    def on_start(self) -> None:
        self.prepare()
        # Building bodies is CPU work that would stall every other user's timed request in this
        # process: each user builds first, and none sends until every user spawned here has built.
        _STATE["prepared"] += 1
        deadline = time.monotonic() + SPAWN_WAIT_S
        while time.monotonic() < deadline:
            if _SPAWNED.is_set() and _STATE["prepared"] >= self.environment.runner.user_count:
                break
            gevent.sleep(0.05)
        self._token = ""
        self._login()

    def prepare(self) -> None:
        """Build and serialise this user's data (before the clock: no request of this process is timed yet)."""

    def _login(self) -> None:
        with self.client.post(
            "/oauth/token",
            data=urlencode(SETTINGS.token_form()),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            name="/oauth/token",
            catch_response=True,
        ) as answer:
            token = json_body(answer).get("access_token") if answer.status_code == 200 else None
            if not token:
                answer.failure(f"no token: HTTP {answer.status_code}")
                raise gevent.GreenletExit  # the user cannot work without one; locust counts the failure
            self._token = token
            answer.success()

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}

    def failure_text(self, answer: Any) -> str:
        text = (answer.text or "") if answer.content else str(getattr(answer, "error", "") or "")
        return redact(f"HTTP {answer.status_code}: {text[:300]}", [*SETTINGS.secrets(), self._token])

    def create_job(self, name: str) -> tuple[str, float]:
        """A new job and when to stop using it (the declared job.lifetime, less a margin)."""
        body = json.dumps({"name": name, "retailerId": str(SETTINGS.retailer)})
        with self.client.post(
            "/api/v4.1/job", data=body, headers=self.headers(), name="/api/v4.1/job", catch_response=True
        ) as answer:
            job_id = json_body(answer).get("id") if answer.status_code == 200 else None
            if job_id is None:
                answer.failure(self.failure_text(answer))
                raise gevent.GreenletExit
            answer.success()
        now = time.time()
        closes = now + 86400 if SETTINGS.job_lifetime == "24h" else (now // 86400 + 1) * 86400
        return str(job_id), closes - JOB_CLOSE_MARGIN_S

    def post_batch(self, job_id: str, body: bytes) -> tuple[str | None, bool]:
        """(batch id or None, whether the target answered at all)."""
        with self.client.post(
            f"/api/v4.1/job/{job_id}/batch",
            data=body,
            headers=self.headers(),
            name="/api/v4.1/job/[id]/batch",
            catch_response=True,
        ) as answer:
            batch_id = json_body(answer).get("id") if answer.status_code == 200 else None
            if batch_id is None:
                answer.failure(self.failure_text(answer))
                return None, answer.status_code not in (0, None)
            answer.success()
            return str(batch_id), True

    def follow_batch(self, job_id: str, batch_id: str, posted: float, records: int) -> bool:
        """Poll until COMPLETE (at most the profile's batch timeout), backing off from the profile's poll
        interval to MAX_POLL_S so that polls do not load the target they measure; record POST→COMPLETE
        as its own request type, with the records as its length (records/s = length / time)."""
        key = f"{job_id}/{batch_id}"
        deadline = time.monotonic() + SETTINGS.batch_timeout_s
        status = None
        pause = SETTINGS.poll_s
        while time.monotonic() < deadline:
            with self.client.get(
                f"/api/v4.1/job/{job_id}/batch/{batch_id}?count=1",
                headers=self.headers(),
                name="/api/v4.1/job/[id]/batch/[id]",
                catch_response=True,
            ) as answer:
                status = json_body(answer).get("status") if answer.status_code == 200 else None
                if status is None:
                    answer.failure(self.failure_text(answer))
                else:
                    answer.success()
            if status == "COMPLETE":
                LEDGER.batch_complete(key, time.time())
                self.environment.events.request.fire(
                    request_type=BATCH_TYPE,
                    name=BATCH_NAME,
                    response_time=(time.perf_counter() - posted) * 1000,
                    response_length=records,
                    exception=None,
                    context={},
                )
                return True
            gevent.sleep(pause)
            pause = min(pause * 1.5, MAX_POLL_S)
        self.environment.events.request.fire(
            request_type=BATCH_TYPE,
            name=BATCH_NAME,
            response_time=(time.perf_counter() - posted) * 1000,
            response_length=0,
            exception=TimeoutError(f"batch {key} not COMPLETE after {SETTINGS.batch_timeout_s}s (last {status})"),
            context={},
        )
        return False


def json_body(answer: Any) -> dict[str, Any]:
    try:
        body = answer.json()
    except Exception:  # not JSON, or no body at all: the caller reports the status
        return {}
    return body if isinstance(body, dict) else {}


# ---------------------------------------------------------------------- hooks


@events.init.add_listener
def _on_init(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.register_message("ih_ledger_request", _send_ledger, concurrent=True)
    elif isinstance(runner, MasterRunner):
        runner.register_message("ih_ledger", _receive_ledger)
    if not isinstance(runner, WorkerRunner) and SETTINGS.out is not None:
        gevent.spawn(_progress, environment)


@events.test_start.add_listener
def _on_test_start(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        _STATE["worker"] = runner.worker_index
    _STATE.update(ledgers={}, sent=False, started=time.time(), prepared=0)
    _SPAWNED.clear()


@events.spawning_complete.add_listener
def _on_spawned(**_: Any) -> None:
    _SPAWNED.set()


@events.quitting.add_listener
def _on_quitting(**_: Any) -> None:
    _QUITTING.set()


@events.test_stop.add_listener
def _on_test_stop(environment: Environment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        _send_ledger(environment)
        return
    ledger = LEDGER
    if isinstance(runner, MasterRunner):
        ledger = _collect(runner, environment)
        if ledger is None:
            return
    _reconcile(environment, ledger)


def _send_ledger(environment: Environment, msg: Any = None) -> None:
    runner = environment.runner
    if msg is not None and runner.state not in (STATE_STOPPED, STATE_INIT):
        runner.stop()  # lets in-flight batches finish (--stop-timeout), then fires test_stop
    if not _STATE["sent"]:
        _STATE["sent"] = True
        runner.send_message("ih_ledger", {"worker": _STATE["worker"], "ledger": LEDGER.to_dict()})


def _receive_ledger(environment: Environment, msg: Any) -> None:
    _STATE["ledgers"][msg.node_id] = msg.data["ledger"]


def _collect(runner: MasterRunner, environment: Environment) -> Ledger | None:
    workers = {client.id for client in runner.clients.all}
    runner.send_message("ih_ledger_request")
    deadline = time.monotonic() + environment.stop_timeout + 60
    while not workers <= set(_STATE["ledgers"]) and time.monotonic() < deadline:
        gevent.sleep(0.1)
    missing = workers - set(_STATE["ledgers"])
    if missing:
        _write(environment, {"error": f"no ledger from {len(missing)} worker(s): {sorted(missing)}"})
        return None
    merged = Ledger()
    for ledger in _STATE["ledgers"].values():
        merged.merge(ledger)
    return merged


def _reconcile(environment: Environment, ledger: Ledger) -> None:
    host = environment.host or ""
    if not (ledger.batches or ledger.bases):
        _write(environment, {"error": "nothing was acknowledged: there is nothing to reconcile"})
        return
    try:
        result = reconcile_run(host, ledger, SETTINGS)
    except Exception as exc:  # the harness's trouble, never the target's fail: keep the traceback
        _write(environment, {"error": redact(f"{exc}\n{traceback.format_exc()}", SETTINGS.secrets())})
        return
    log.info(result.summary())
    stats = environment.stats.get(BATCH_NAME, BATCH_TYPE)
    _write(
        environment,
        {
            "reconciliation": result.to_dict(),
            "records_processed": ledger.records_processed,
            "records_per_s": round(ledger.records_per_s(), 1),
            "batch_records_in_stats": stats.total_content_length,
            "elapsed_s": time.time() - (_STATE["started"] or time.time()),
            "run_id": SETTINGS.run_id,
        },
    )


def _write(environment: Environment, outcome: dict[str, Any]) -> None:
    if "error" in outcome:
        log.error("reconciliation could not run: %s", outcome["error"])
    if "error" in outcome:
        environment.process_exit_code = 3
    elif not outcome["reconciliation"]["exact"]:
        environment.process_exit_code = 1
    if SETTINGS.out is not None:
        SETTINGS.out.mkdir(parents=True, exist_ok=True)
        (SETTINGS.out / "reconciliation.json").write_text(json.dumps(outcome, indent=2), encoding="utf-8")


def _progress(environment: Environment) -> None:
    """progress.json once a second: what `invharness load` shows while the run goes on."""
    assert SETTINGS.out is not None
    SETTINGS.out.mkdir(parents=True, exist_ok=True)
    path = SETTINGS.out / "progress.json"
    while not _QUITTING.wait(1.0):  # once a second until locust quits, not forever
        runner = environment.runner
        if runner is None:
            continue
        stats = environment.stats
        batch = stats.get(BATCH_NAME, BATCH_TYPE)
        snapshot = {
            "state": runner.state,
            "users": runner.user_count,
            "records": batch.total_content_length,
            "batches": batch.num_requests,
            "requests": stats.total.num_requests,
            "failures": stats.total.num_failures,
            "rps": round(stats.total.current_rps, 1),
            "at": time.time(),
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(snapshot), encoding="utf-8")
        tmp.replace(path)
