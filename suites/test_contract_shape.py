"""Every answer has the shape of the contract (group contract-shape)."""

import pytest
import schemathesis
from graphql import build_client_schema, build_schema, find_breaking_changes, get_introspection_query
from hypothesis import HealthCheck, given, settings
from hypothesis import seed as hypothesis_seed
from schemathesis.checks import not_a_server_error, response_schema_conformance

from invharness import contracts
from invharness.generators import payloads
from invharness.suites.helpers import Position

OPENAPI = schemathesis.openapi.from_path(str(contracts.CONTRACTS_DIR / "openapi.yaml"))


@pytest.mark.clause("SHAPE-REST-01")
def test_answers_of_a_typical_session_validate(client, ref, profile):
    position = Position.new(ref, profile)
    job_id = client.create_job(payloads.job(ref("job"), str(profile.primary_retailer)))
    batch_id = client.create_batch(job_id, payloads.batch([position.record(2), {"skuRef": "broken"}]))
    client.wait_batch(job_id, batch_id)
    checks = [
        ("id-response", client.request("POST", "/api/v4.1/job", json=payloads.job(ref("job"), "1"))),
        ("job", client.request("GET", f"/api/v4.1/job/{job_id}")),
        ("batch", client.read_batch(job_id, batch_id)),
        ("error", client.request("GET", "/api/v4.1/job/999999999")),
        ("error", client.request("POST", "/api/v4.1/job", json={"name": "x"})),
        ("event-search-response", client.request("GET", "/api/v4.1/event", params={"count": 3})),
        ("token-response", client.token_request(form=client.credentials())),
        ("token-error", client.token_request(form=client.credentials(password="wrong"))),
    ]
    for schema, answer in checks:
        problem = contracts.validator(schema).explain(answer.json())
        assert problem is None, f"{answer.request.method} {answer.request.path_url} -> {schema}: {problem}"


@pytest.mark.clause("SHAPE-5XX-01", "SHAPE-REST-01")
@pytest.mark.parametrize("operation", [op.ok() for op in OPENAPI.get_all_operations()], ids=lambda op: op.label)
def test_fuzzed_requests_get_documented_answers_and_never_5xx(client, target_url, operation, seed):
    headers = {"Authorization": f"Bearer {client.token()}"}

    # seeded from the run id (``verify --run-id`` replays the same inputs); no example database, so a
    # run never depends on what an earlier run found
    @hypothesis_seed(seed)
    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(operation.as_strategy())
    def fuzz(case):
        response = case.call(base_url=target_url, headers=headers, timeout=client.profile.request_timeout_s)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    fuzz()


@pytest.mark.clause("SHAPE-GQL-01")
def test_graphql_schema_has_no_breaking_change(client):
    body = client.graphql(get_introspection_query())
    assert not body.get("errors"), body.get("errors")
    breaking = find_breaking_changes(build_schema(contracts.sdl()), build_client_schema(body["data"]))
    assert [change.description for change in breaking] == []
