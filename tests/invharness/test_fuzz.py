"""`invharness fuzz` catches broken reference variants, with reproductions that fail again (its replay of a seed:
test_fuzz_replay.py).

Short runs (one operation each, a few dozen cases); the 10,000-case proof is bench/bench_fuzz.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from starlette.routing import request_response

from invharness.cli import main
from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.server import EmbeddedServer
from invharness.reference_impl.services import validation
from invharness.reference_impl.services.auth import Authenticator
from invharness.reference_impl.transport import http_api

from ..suites.mutants import _batch_json


@pytest.fixture
def target():
    with EmbeddedServer() as server:
        yield server


def _fuzz(url: str, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["fuzz", "--target-url", url, "--report-dir", str(out), "--no-graphql", "--phases", "fuzzing", *extra])
    return code, json.loads((out / "results.json").read_text(encoding="utf-8"))


def _token(url: str) -> str:
    form = {"username": "admin", "password": "admin", "client_id": "DEMO", "client_secret": "demo-secret"}
    answer = requests.post(f"{url}/oauth/token", data={**form, "grant_type": "password", "scope": "api"}, timeout=10)
    return answer.json()["access_token"]


def _rerun(curl: str, url: str) -> tuple[int, str]:
    """Run a reproduction as a developer would paste it (with $TOKEN set): (status, body)."""
    command = curl + " -s -w '\\n%{http_code}'"
    done = subprocess.run(
        ["bash", "-c", command], env={**os.environ, "TOKEN": _token(url)}, capture_output=True, text=True, timeout=30
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), body


def test_a_500_to_one_malformed_body_is_found_with_a_reproduction_that_fails_again(target, tmp_path, monkeypatch):
    original = http_api.create_job

    async def create_job(request: Any) -> Any:
        http_api._principal(request)  # the bug lies behind authentication
        payload = await http_api._json(request)  # starlette keeps the body: original reads it again
        known = {str(r) for r in http_api._backend(request).config.account.retailers}
        if not isinstance(payload, dict) or str(payload.get("retailerId")) not in known:
            # the plausible bug: the body's retailer looked up unchecked, an unknown one is a KeyError
            raise KeyError(payload.get("retailerId") if isinstance(payload, dict) else None)
        return await original(request)

    route = next(r for r in http_api.routes if r.endpoint is original)
    monkeypatch.setattr(route, "app", request_response(create_job))
    code, results = _fuzz(
        target.url,
        tmp_path,
        "--operation",
        "^POST /api/v4.1/job$",
        "--no-generators",
        "--phases",
        "coverage",  # its negative bodies are systematic: a missing or mistyped retailerId among them
        "--max-examples",
        "10",
        "--seed",
        "1",
    )
    assert code == 1
    errors = [f for f in results["findings"] if f["check"] == "not_a_server_error"]
    assert errors and errors[0]["status"] == 500, results["findings"]
    reproduction = errors[0]["reproduction"]
    assert '"Authorization: Bearer $TOKEN"' in reproduction and "demo-secret" not in json.dumps(results)
    assert _rerun(reproduction, target.url)[0] == 500
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'id="finding-1"' in page and "not_a_server_error" in page and "demo-secret" not in page


def test_a_negative_qty_accepted_without_error_is_found_by_its_rule(target, tmp_path, monkeypatch):
    original = validation.batch_request

    def lenient(payload: Any) -> dict[int, str]:  # the bug: a negative qty is not checked
        entities = payload["entities"]
        return {i: why for i, why in original(payload).items() if "qty" not in why or "-" not in str(entities[i])}

    monkeypatch.setattr(validation, "batch_request", lenient)
    code, results = _fuzz(
        target.url,
        tmp_path,
        "--operation",
        r"^POST /api/v4\.1/job/\{jobId\}/batch$",
        "--max-examples",
        "30",
        "--seed",
        "4",
    )
    assert code == 1
    found = [f for f in results["findings"] if f["check"] == "rule:record.qty.negative"]
    assert found, [f["check"] for f in results["findings"]]
    assert "record.qty.negative" in found[0]["title"]
    read = found[0]["reproduction"].splitlines()[-1]
    status, body = _rerun(read, target.url)
    assert status == 200 and not [r for r in json.loads(body)["results"] if r["index"] == 0]


def test_a_batch_read_without_a_required_field_is_found(target, tmp_path, monkeypatch):
    _batch_json(monkeypatch, lambda body: {k: v for k, v in body.items() if k != "createdOn"})
    code, results = _fuzz(
        target.url,
        tmp_path,
        "--operation",
        r"batch/\{batchId\}$",
        "--no-generators",
        "--max-examples",
        "10",
        "--seed",
        "2",
    )
    assert code == 1
    found = [f for f in results["findings"] if f["check"] == "response_schema_conformance"]
    assert found and "createdOn" in found[0]["message"], results["findings"]
    status, body = _rerun(found[0]["reproduction"], target.url)
    assert status == 200 and "createdOn" not in json.loads(body)


def test_a_token_revoked_mid_run_is_fetched_again_without_a_spurious_401(target, tmp_path, monkeypatch):
    """A reference variant that revokes each access token after a few uses: the run logs in again and resends,
    as verify's client does, and finds nothing."""
    original = Authenticator.authenticate
    uses: dict[str, int] = {}
    revoked: list[str] = []

    def authenticate(self: Authenticator, authorization: str | None) -> Any:
        token = (authorization or "").partition(" ")[2].strip()
        if token in revoked:  # tokens are signed, not looked up: the variant keeps its own revocation list
            raise ApiError.unauthorized()
        principal = original(self, authorization)
        uses[token] = uses.get(token, 0) + 1
        if uses[token] >= 8:
            revoked.append(token)
        return principal

    monkeypatch.setattr(Authenticator, "authenticate", authenticate)
    code, results = _fuzz(
        target.url,
        tmp_path,
        "--operation",
        r"^GET /api/v4\.1/job/\{jobId\}$",
        "--no-generators",
        "--max-examples",
        "25",
        "--seed",
        "3",
    )
    assert code == 0 and results["findings"] == [], results["findings"]
    assert len(revoked) >= 2, "the variant revoked tokens mid-run, and the run went on with new ones"
    assert sum(results["run"]["cases"].values()) > 24


def test_usage_errors_are_one_line(tmp_path, capsys):
    assert main(["fuzz", "--target-url", "http://example.com", "--report-dir", str(tmp_path)]) == 2
    assert "--allow-remote-writes" in capsys.readouterr().err
    assert main(["fuzz", "--operation", "(", "--report-dir", str(tmp_path)]) == 2


def test_an_unreachable_target_is_the_harness_s_exit_3_not_a_failure(tmp_path, capsys):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["fuzz", "--target-url", f"http://127.0.0.1:{port}", "--report-dir", str(tmp_path)]) == 3
    assert "unreachable" in capsys.readouterr().err


def test_help_lists_the_mutations_left_out():
    from invharness.cli import build_parser

    text = build_parser()._subparsers._group_actions[0].choices["fuzz"].format_help()
    assert "Mutation.createSetting" in text and "Mutation.updateSetting" in text


def test_a_valid_batch_body_is_steered_to_a_catalogue_of_the_retailer_and_stays_valid():
    from invharness import contracts
    from invharness.fuzz_engine import _own_body

    record = {"skuRef": "S", "locationRef": "L", "qty": 1, "retailerId": "9"}
    for drawn, owned in (
        ("FUTURE:2", "FUTURE:1"),
        ("0", "0:1"),
        ("DEFAULT:1", "DEFAULT:1"),
        ("0" * 255, "0" * 253 + ":1"),
    ):
        body = {"action": "UPSERT", "entityType": "INVENTORY", "entities": [dict(record)], "catalogueRef": drawn}
        _own_body(body, "1", "fz1")
        assert body["catalogueRef"] == owned
        assert contracts.validator("batch-envelope").is_valid(body), body
