"""Job create, read and lifetime (group jobs)."""

import re
import time
from datetime import datetime, timedelta

import pytest

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.helpers import Position, new_batch, new_job, position_state, wait_batch

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


@pytest.mark.clause("JOB-CREATE-01")
def test_create_answers_200_with_a_digit_id(client, ref, profile):
    name = ref("job")
    answer = client.request("POST", "/api/v4.1/job", json=payloads.job(name, str(profile.primary_retailer)))
    assert answer.status_code == 200, f"expected 200, got {answer.status_code}: {answer.text[:200]}"
    job_id = answer.json().get("id")
    assert isinstance(job_id, str) and re.fullmatch(r"\d+", job_id), f"id: expected a string of digits, got {job_id!r}"
    read = client.request("GET", f"/api/v4.1/job/{job_id}")
    assert read.status_code == 200, f"reading the job just created: expected 200, got {read.status_code}"
    assert read.json().get("jobId") == job_id, f"the job read: expected jobId {job_id}, got {read.json()}"


@pytest.mark.clause("JOB-CREATE-02")
def test_name_is_required(client, profile):
    answer = client.request("POST", "/api/v4.1/job", json={"retailerId": str(profile.primary_retailer)})
    assert answer.status_code == 400, f"expected 400, got {answer.status_code}: {answer.text[:200]}"
    errors = answer.json().get("errors") or [{}]
    assert errors[0].get("message") == "'name' is required", f"expected message 'name' is required, got {errors}"


@pytest.mark.clause("JOB-CREATE-03")
def test_retailer_is_required(client, ref):
    answer = client.request("POST", "/api/v4.1/job", json={"name": ref("job")})
    assert answer.status_code == 400, f"expected 400, got {answer.status_code}: {answer.text[:200]}"
    expected = {"code": "NotNull", "message": "'retailerId' is required"}
    errors = answer.json().get("errors") or [{}]
    assert errors[0] == expected, f"expected {expected}, got {errors}"


@pytest.mark.clause("JOB-CREATE-04")
def test_retailer_as_string_or_integer(client, ref, profile):
    for retailer in (str(profile.primary_retailer), profile.primary_retailer):
        answer = client.request("POST", "/api/v4.1/job", json=payloads.job(ref("job"), retailer))
        assert answer.status_code == 200, f"retailerId {retailer!r}: expected 200, got {answer.status_code}"
        read = client.request("GET", f"/api/v4.1/job/{answer.json()['id']}").json()
        assert str(read.get("retailerId")) == str(profile.primary_retailer), f"retailerId {retailer!r} read {read}"


@pytest.mark.clause("JOB-CREATE-05")
@pytest.mark.parametrize("meta", ["omitted", None, {}], ids=["omitted", "null", "empty"])
def test_meta_may_be_omitted_null_or_empty(client, ref, profile, meta):
    body = (
        payloads.job(ref("job"), str(profile.primary_retailer))
        if meta == "omitted"
        else payloads.job(ref("job"), str(profile.primary_retailer), meta)
    )
    answer = client.request("POST", "/api/v4.1/job", json=body)
    assert answer.status_code == 200, f"meta {meta}: expected 200, got {answer.status_code}: {answer.text[:200]}"
    job_id = answer.json()["id"]
    read = client.request("GET", f"/api/v4.1/job/{job_id}")
    assert read.status_code == 200 and read.json().get("status") == "OPEN", f"meta {meta}: the job read {read.text}"
    # the job takes batches like any other
    position = Position.new(ref, profile)
    wait_batch(client, job_id, new_batch(client, job_id, payloads.batch([position.record(2)])))
    node = position_state(client, position)[0]
    assert node is not None and node["onHand"] == 2, f"meta {meta}: a batch of the job stored {node}"


@pytest.mark.clause("JOB-READ-01", "JOB-READ-03")
def test_read_answers_the_job(client, ref, profile):
    job_id = new_job(client, ref, profile.primary_retailer)
    answer = client.request("GET", f"/api/v4.1/job/{job_id}")
    assert answer.status_code == 200, f"expected 200, got {answer.status_code}"
    body = answer.json()
    got = (body.get("jobId"), body.get("status"), body.get("batch"))
    assert got == (job_id, "OPEN", []), f"(jobId, status, batch): expected ({job_id}, OPEN, []), got {got}"
    assert TIMESTAMP.match(str(body.get("createdOn"))), f"createdOn: expected {TIMESTAMP.pattern}, got {body}"
    assert contracts.validator("job").errors(body) == []
    batch_id = new_batch(client, job_id, payloads.batch([Position.new(ref, profile).record(1)]))
    listed = client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"]
    assert [b.get("batchId") for b in listed] == [batch_id], f"the job's batches: expected [{batch_id}], got {listed}"
    assert TIMESTAMP.match(str(listed[0].get("createdOn"))), f"batch createdOn: expected {TIMESTAMP.pattern}"
    assert isinstance(batch_id, str) and batch_id.isdigit()


@pytest.mark.clause("JOB-READ-02")
def test_unknown_job_is_404(client):
    # beyond any id a target hands out in practice (ids are strings of digits)
    answer = client.request("GET", "/api/v4.1/job/987654321987654321")
    assert answer.status_code == 404, f"expected 404, got {answer.status_code}: {answer.text[:200]}"


def _seconds_to_close(created_on: str, lifetime: str) -> float:
    created = datetime.strptime(created_on, "%Y-%m-%dT%H:%M:%S.%f%z")
    if lifetime == "24h":
        return 86400
    midnight = (created + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - created).total_seconds()


@pytest.mark.clause("JOB-LIFE-01", "JOB-CLOSED-01")
@pytest.mark.requires("clock_control")
@pytest.mark.clock
def test_job_closes_at_the_end_of_its_declared_lifetime(client, ref, profile):
    job_id = new_job(client, ref, profile.primary_retailer)
    created = client.request("GET", f"/api/v4.1/job/{job_id}").json()["createdOn"]
    remaining = _seconds_to_close(created, profile.value("job.lifetime"))
    client.advance_clock(max(remaining - 5, 0))
    lifetime = profile.value("job.lifetime")
    status = client.request("GET", f"/api/v4.1/job/{job_id}").json()["status"]
    assert status == "OPEN", f"5 s before the end of its declared lifetime ({lifetime}): expected OPEN, got {status}"
    client.advance_clock(6)
    status = client.request("GET", f"/api/v4.1/job/{job_id}").json()["status"]
    assert status == "CLOSED", f"1 s after the end of its declared lifetime ({lifetime}): expected CLOSED, got {status}"
    position = Position.new(ref, profile)
    answer = client.post_batch(job_id, payloads.batch([position.record(1)]))
    declared = int(profile.value("job.closed_batch_status"))
    assert answer.status_code == declared, (
        f"a batch to a CLOSED job: expected declared {declared}, got {answer.status_code}"
    )
    assert (answer.json().get("errors") or [{}])[0].get("message"), f"expected the errors envelope, got {answer.text}"
    assert client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"] == [], "the refused batch is listed"
    time.sleep(client.profile.poll_interval_s * 4)  # had it been queued anyway, give it time to show
    assert position_state(client, position)[0] is None, "the refused batch's record was stored"


# ---------------------------------------------------------------- job results (issue 14, decision D-JOB-RESULTS)


@pytest.mark.clause("JOB-RESULTS-01")
def test_job_results_outside_the_contract_answer_a_clear_404(client, ref, profile):
    job_id = client.create_job(payloads.job(ref("job"), str(profile.primary_retailer)))
    answer = client.request("GET", f"/api/v4.1/job/{job_id}/results")
    assert answer.status_code == 404, f"GET .../results answered {answer.status_code}: {answer.text[:200]}"
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers.get("content-type")
    problem = contracts.validator("error").explain(answer.json())
    assert problem is None, f"the 404 is not the errors envelope: {problem}"
