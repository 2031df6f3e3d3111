"""suites/client.py against canned misbehaviour (responses): who is blamed, and every wait bounded."""

import time

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from invharness.suites.client import (
    HarnessError,
    PrerequisiteFailed,
    RunOutOfTime,
    StepFailed,
    TargetAnswerError,
    TargetClient,
    TargetTimeout,
    TargetUnreachable,
    redact,
)
from invharness.suites.plugin import check_digest, check_seed
from invharness.suites.profile import TargetProfile

URL = "http://target.test"
TOKEN = URL + "/oauth/token"
JOB = URL + "/api/v4.1/job"
GRAPHQL = URL + "/graphql"


@pytest.fixture
def client():
    profile = TargetProfile(client_secret="S3cr3t&x", password="pa ss", batch_timeout_s=0.3, poll_interval_s=0.05)
    return TargetClient(URL, profile)


@pytest.fixture
def target():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def _token(target, value="tok1", expires_in=86400):
    target.post(TOKEN, json={"access_token": value, "token_type": "bearer", "expires_in": expires_in})


def test_a_5xx_to_a_step_fails_the_clause_that_governs_it(client, target):
    _token(target)
    target.post(JOB, status=503, body="busy")
    with pytest.raises(StepFailed) as failed:
        client.create_job({"name": "j", "retailerId": "1"})
    assert failed.value.clause == "JOB-CREATE-01" and "answered 503" in failed.value.message


def test_a_401_mid_run_logs_in_again_once_per_request(client, target):
    _token(target, "tok1")
    _token(target, "tok2")
    target.get(JOB + "/1", status=401, json={"errors": [{"message": "expired"}]})
    target.get(JOB + "/1", status=200, json={"jobId": "1"})
    assert client.request("GET", "/api/v4.1/job/1").status_code == 200
    sent = [c.request for c in target.calls]
    assert [r.url for r in sent] == [TOKEN, JOB + "/1", TOKEN, JOB + "/1"]
    assert sent[1].headers["Authorization"] == "Bearer tok1" and sent[3].headers["Authorization"] == "Bearer tok2"


def test_a_target_that_answers_401_to_every_token_is_not_asked_in_a_loop(client, target):
    _token(target)
    target.get(JOB + "/1", status=401, json={"errors": [{"message": "no"}]})
    assert client.request("GET", "/api/v4.1/job/1").status_code == 401
    assert len(target.calls) == 4, "one token, the request, one more token, the request again: no loop"


def test_a_token_that_expires_is_renewed_before_use(client, target):
    _token(target, "short", expires_in=1)
    _token(target, "next")
    target.get(JOB + "/1", json={"jobId": "1"})
    client.request("GET", "/api/v4.1/job/1")
    time.sleep(1.05)
    client.request("GET", "/api/v4.1/job/1")
    assert target.calls[-1].request.headers["Authorization"] == "Bearer next"


@pytest.mark.parametrize(
    ("answer", "blame"),
    [
        ({"status": 500, "body": "oops"}, StepFailed),
        ({"status": 200, "json": {"token_type": "bearer"}}, StepFailed),
        ({"status": 200, "body": "<html>login</html>", "content_type": "text/html"}, StepFailed),
        ({"status": 400, "json": {"error": "invalid_grant", "error_description": "Bad credentials"}}, None),
    ],
)
def test_a_token_the_target_will_not_give(client, target, answer, blame):
    target.post(TOKEN, **answer)
    if blame is None:  # the profile's credentials are refused: no verdict on the target, the reason said
        with pytest.raises(PrerequisiteFailed, match="refuses the profile's credentials"):
            client.token()
        return
    with pytest.raises(blame) as failed:
        client.token()
    assert failed.value.clause == "AUTH-TOKEN-01"


def test_truncated_json_fails_the_step(client, target):
    _token(target)
    target.post(JOB + "/7/batch", body='{"id": "12', content_type="application/json")
    with pytest.raises(StepFailed) as failed:
        client.create_batch("7", {})
    assert failed.value.clause == "BATCH-CREATE-01" and "not JSON" in failed.value.message


def test_an_html_error_page_fails_the_event_search(client, target):
    _token(target)
    target.get(URL + "/api/v4.1/event", body="<html><h1>502 Bad Gateway</h1></html>", content_type="text/html")
    with pytest.raises(StepFailed) as failed:
        client.events("Ev")
    assert failed.value.clause == "EVT-SEARCH-01" and "text/html" in failed.value.message


def test_an_answer_read_by_a_check_fails_the_target_not_the_harness(client, target):
    _token(target)
    target.get(JOB + "/1", body="<html>oops</html>", content_type="text/html")
    target.get(JOB + "/2", json={"status": "OPEN", "batches": []}, content_type="text/plain")
    with pytest.raises(AssertionError, match="not JSON"):
        client.request("GET", "/api/v4.1/job/1").json()
    body = client.request("GET", "/api/v4.1/job/2").json()  # a JSON body under the wrong type is still read
    with pytest.raises(AssertionError, match="no field 'jobId'"):
        body["jobId"]
    with pytest.raises(KeyError):  # and code that catches KeyError still works
        body["jobId"]
    with pytest.raises(TargetAnswerError, match="0 item"):
        body["batches"][0]


def test_a_batch_that_never_completes_fails_within_the_batch_timeout(client, target):
    _token(target)
    target.get(JOB + "/1/batch/2", json={"status": "RUNNING"})
    started = time.monotonic()
    with pytest.raises(StepFailed) as failed:
        client.wait_batch("1", "2")
    assert time.monotonic() - started < 1.5
    assert failed.value.clause == "BATCH-STATUS-01" and "RUNNING" in failed.value.message


def test_a_wait_that_is_a_step_fails_its_clause_and_a_plain_one_the_check(client):
    answers = iter(range(1000))
    with pytest.raises(StepFailed) as failed:
        client.poll(lambda: next(answers), lambda n: n < 0, "a negative number", step="EVT-ASYNC-01")
    assert failed.value.clause == "EVT-ASYNC-01" and "a negative number" in failed.value.message
    with pytest.raises(AssertionError, match="a negative number"):
        client.poll(lambda: next(answers), lambda n: n < 0, "a negative number")
    assert client.poll(lambda: next(answers), lambda n: n % 2 == 0, "an even number", step="EVT-ASYNC-01") % 2 == 0


PAGES = "query($first: Int, $after: String) { things(first: $first, after: $after) { edges { cursor node { ref } } } }"


def _page(refs, more):
    return {
        "data": {
            "things": {"edges": [{"cursor": r, "node": {"ref": r}} for r in refs], "pageInfo": {"hasNextPage": more}}
        }
    }


def test_pagination_follows_the_cursor(client, target):
    _token(target)
    target.post(GRAPHQL, json=_page(["a", "b"], True))
    target.post(GRAPHQL, json=_page(["c"], False))
    assert [n["ref"] for n in client.paginate(PAGES, "things", page_size=2)] == ["a", "b", "c"]
    assert b'"after": "b"' in target.calls[-1].request.body


def test_a_cursor_that_never_advances_fails_instead_of_looping(client, target):
    _token(target)
    target.post(GRAPHQL, json=_page(["a", "b"], True))  # the same page, whatever `after` says
    with pytest.raises(StepFailed) as failed:
        list(client.paginate(PAGES, "things", page_size=2))
    assert failed.value.clause == "GQL-PAGE-01" and "does not advance" in failed.value.message
    assert len(target.calls) == 3  # the token and two pages


def test_pagination_stops_at_its_page_limit(client, target):
    _token(target)
    for number in range(5):
        target.post(GRAPHQL, json=_page([f"c{number}"], True))
    with pytest.raises(HarnessError, match="more than 3 pages"):
        list(client.paginate(PAGES, "things", max_pages=3, page_size=1))


def test_a_graphql_step_with_errors_fails_its_clause(client, target):
    _token(target)
    target.post(GRAPHQL, json={"errors": [{"message": "boom"}], "data": None})
    with pytest.raises(StepFailed) as failed:
        client.data("mutation { x }", clause="GQL-SET-01")
    assert failed.value.clause == "GQL-SET-01" and "boom" in failed.value.message
    target.post(GRAPHQL, json={"errors": [{"message": "boom"}], "data": None})
    with pytest.raises(AssertionError, match="GraphQL errors"):
        client.data("mutation { x }")


def test_a_slow_answer_is_a_timeout_and_a_dead_target_unreachable(client, target):
    _token(target)
    target.get(JOB + "/1", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TargetTimeout, match="did not answer within 30s"):
        client.request("GET", "/api/v4.1/job/1")
    secret_url = f"{TOKEN}?client_secret=S3cr3t%26x&password=pa+ss"
    target.get(
        JOB + "/2", body=requests.ConnectionError(f"Max retries exceeded with url: {secret_url} (Connection refused)")
    )
    with pytest.raises(TargetUnreachable) as dead:
        client.request("GET", "/api/v4.1/job/2")
    assert str(dead.value) == f"target {URL} unreachable: connection refused (GET /api/v4.1/job/2)"
    assert client.exchanges[-1].status is None and client.exchanges[-1].response == "(no answer)"


def test_nothing_is_asked_after_the_runs_deadline(client, target):
    client.deadline = time.time() - 1
    with pytest.raises(RunOutOfTime):
        client.request("GET", "/api/v4.1/job/1", auth=False)
    assert len(target.calls) == 0


def test_redaction_covers_escaped_secrets_in_urls_and_json():
    secrets = ["S3cr3t&x", "pa ss"]
    text = 'GET /t?client_id=C&secret=S3cr3t%26x&p=pa+ss&q=pa%20ss {"note": "S3cr3t&x"} Bearer abc.def'
    cleaned = redact(text, secrets)
    assert "S3cr3t" not in cleaned and "pa+ss" not in cleaned and "pa%20ss" not in cleaned and "abc.def" not in cleaned


def test_refs_and_seeds_are_stable_per_run_and_distinct_per_check():
    assert check_digest("ihA", "t::x") == check_digest("ihA", "t::x") == "19272a144ce9"  # the same in every process
    digests = {check_digest("ihA", f"suites/test_x.py::test_{n}") for n in range(10_000)}
    assert len(digests) == 10_000, "no two checks of a run share refs"
    assert check_digest("ihB", "t::x") != check_digest("ihA", "t::x")
    assert check_seed("ihA", "t::x") == check_seed("ihA", "t::x") != check_seed("ihB", "t::x")


def _drawn(seed_value):
    drawn = []

    @hypothesis_seed(seed_value)
    @settings(max_examples=5, database=None)
    @given(st.text())
    def draw(value):
        drawn.append(value)

    draw()
    return drawn


def test_the_same_run_id_draws_the_same_inputs():
    assert _drawn(check_seed("ihA", "t::x")) == _drawn(check_seed("ihA", "t::x"))
    assert _drawn(check_seed("ihA", "t::x")) != _drawn(check_seed("ihB", "t::x"))
