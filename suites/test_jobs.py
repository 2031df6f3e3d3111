"""Job create, read and lifetime (group jobs)."""

import re
from datetime import datetime, timedelta

import pytest

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.helpers import Position

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


@pytest.mark.clause("JOB-CREATE-01")
def test_create_answers_200_with_a_digit_id(client, ref, profile):
    answer = client.request("POST", "/api/v4.1/job", json=payloads.job(ref("job"), str(profile.primary_retailer)))
    assert answer.status_code == 200
    assert re.fullmatch(r"\d+", answer.json()["id"])


@pytest.mark.clause("JOB-CREATE-02")
def test_name_is_required(client, profile):
    answer = client.request("POST", "/api/v4.1/job", json={"retailerId": str(profile.primary_retailer)})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["message"] == "'name' is required"


@pytest.mark.clause("JOB-CREATE-03")
def test_retailer_is_required(client, ref):
    answer = client.request("POST", "/api/v4.1/job", json={"name": ref("job")})
    assert answer.status_code == 400
    assert answer.json()["errors"][0] == {"code": "NotNull", "message": "'retailerId' is required"}


@pytest.mark.clause("JOB-CREATE-04")
def test_retailer_as_string_or_integer(client, ref, profile):
    for retailer in (str(profile.primary_retailer), profile.primary_retailer):
        assert client.create_job(payloads.job(ref("job"), retailer)).isdigit()


@pytest.mark.clause("JOB-CREATE-05")
@pytest.mark.parametrize("meta", ["omitted", None, {}], ids=["omitted", "null", "empty"])
def test_meta_may_be_omitted_null_or_empty(client, ref, profile, meta):
    body = (
        payloads.job(ref("job"), str(profile.primary_retailer))
        if meta == "omitted"
        else payloads.job(ref("job"), str(profile.primary_retailer), meta)
    )
    assert client.create_job(body).isdigit()


@pytest.mark.clause("JOB-READ-01", "JOB-READ-03")
def test_read_answers_the_job(client, ref, profile):
    job_id = client.create_job(payloads.job(ref("job"), str(profile.primary_retailer)))
    answer = client.request("GET", f"/api/v4.1/job/{job_id}")
    assert answer.status_code == 200
    body = answer.json()
    assert body["jobId"] == job_id and body["status"] == "OPEN" and body["batch"] == []
    assert TIMESTAMP.match(body["createdOn"])
    assert contracts.validator("job").errors(body) == []


@pytest.mark.clause("JOB-READ-02")
def test_unknown_job_is_404(client):
    assert client.request("GET", "/api/v4.1/job/999999999").status_code == 404


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
    job_id = client.create_job(payloads.job(ref("job"), str(profile.primary_retailer)))
    created = client.request("GET", f"/api/v4.1/job/{job_id}").json()["createdOn"]
    remaining = _seconds_to_close(created, profile.value("job.lifetime"))
    client.advance_clock(max(remaining - 5, 0))
    assert client.request("GET", f"/api/v4.1/job/{job_id}").json()["status"] == "OPEN"
    client.advance_clock(6)
    assert client.request("GET", f"/api/v4.1/job/{job_id}").json()["status"] == "CLOSED"
    position = Position.new(ref, profile)
    answer = client.post_batch(job_id, payloads.batch([position.record(1)]))
    assert answer.status_code == int(profile.value("job.closed_batch_status"))
    assert answer.json()["errors"][0]["message"]
    assert client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"] == []


# ---------------------------------------------------------------- job results (issue 14, decision D-JOB-RESULTS)


@pytest.mark.clause("JOB-RESULTS-01")
def test_job_results_outside_the_contract_answer_a_clear_404(client, ref, profile):
    job_id = client.create_job(payloads.job(ref("job"), str(profile.primary_retailer)))
    answer = client.request("GET", f"/api/v4.1/job/{job_id}/results")
    assert answer.status_code == 404, f"GET .../results answered {answer.status_code}: {answer.text[:200]}"
    assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers.get("content-type")
    problem = contracts.validator("error").explain(answer.json())
    assert problem is None, f"the 404 is not the errors envelope: {problem}"
