"""No input makes the server answer 5xx; concurrent batches lose nothing; shutdown finishes work."""

import threading

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error, response_schema_conformance

from invharness import contracts
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from tests.support import Api, record, unique

POST_PATHS = [
    "/api/v4.1/job",
    "/api/v4.1/job/{job}/batch",
    "/api/v4.1/event/sync",
    "/api/v4.1/event/async",
    "/graphql",
    "/oauth/token",
]
NASTY = [
    b"",
    b"   ",
    b"{",
    b"[]",
    b"null",
    b"42",
    b'"x"',
    b"{}",
    b'{"name": null}',
    b'{"qty": 1e400}',
    b'{"retailerId": 123456789012345678901234567890}',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    '{"name": "\ud800"}'.encode("utf-8", "surrogatepass"),
    b'{"name": "\\ud800"}',
    b"\xff\xfe\x00",
    # fraktur letters, a right-to-left override, a ligature, NUL
    '{"name": "\U0001d574\U0001d593 \u202e \ufdfd \u0000"}'.encode(),
    b'{"action": "UPSERT", "entityType": "INVENTORY", "entities": "x"}',
    b'{"action": "UPSERT", "entityType": "INVENTORY", "entities": [{"qty": 99999999999999999999}]}',
]


@pytest.fixture(scope="module")
def shared_server():
    with EmbeddedServer(ServerConfig(processing_window_s=0, max_body_bytes=256 * 1024)) as running:
        yield running


@pytest.fixture(scope="module")
def shared_api(shared_server):
    return Api(shared_server)


@pytest.mark.parametrize("path", POST_PATHS)
def test_nasty_bodies_never_make_a_server_error(shared_api, path):
    job = shared_api.job()
    url = shared_api.url + path.format(job=job)
    for body in NASTY:
        for content_type in ("application/json", "application/x-www-form-urlencoded", "text/plain"):
            answer = shared_api.session.post(url, data=body, headers={"Content-Type": content_type}, timeout=30)
            assert answer.status_code < 500, (path, body[:60], answer.status_code, answer.text[:200])
            assert answer.headers["content-type"].startswith("application/json")


def test_oversize_body_is_413_with_the_envelope(shared_api):
    job = shared_api.job()
    big = b'{"action": "UPSERT", "entityType": "INVENTORY", "entities": [' + b'{"a": 1},' * 40000 + b"{}]}"
    answer = shared_api.session.post(
        f"{shared_api.url}/api/v4.1/job/{job}/batch", data=big, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["code"] == "413"

    def chunks():
        for _ in range(40):
            yield b" " * 10000

    chunked = shared_api.session.post(f"{shared_api.url}/api/v4.1/job", data=chunks(), timeout=30)
    assert chunked.status_code == 413


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_and_unknown_path_answer_the_envelope(shared_api, method):
    answer = shared_api.session.request(method, f"{shared_api.url}/api/v4.1/job", timeout=10)
    assert answer.status_code == 405 and answer.json()["errors"][0]["code"] == "405"
    assert shared_api.session.request(method, f"{shared_api.url}/nope", timeout=10).status_code == 404


SCHEMA = schemathesis.openapi.from_path(str(contracts.CONTRACTS_DIR / "openapi.yaml"))


@pytest.mark.parametrize("operation", [op.ok() for op in SCHEMA.get_all_operations()], ids=lambda op: op.label)
def test_fuzzed_requests_get_documented_answers_and_no_5xx(shared_api, operation):
    # Positive and negative data from the contract; every answer must be documented and never 5xx.
    headers = {"Authorization": shared_api.session.headers["Authorization"]}

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(operation.as_strategy())
    def fuzz(case):
        response = case.call(base_url=shared_api.url, headers=headers, timeout=30)
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    fuzz()


def test_concurrent_batches_to_one_job_lose_nothing(shared_api):
    job = shared_api.job()
    sku = unique("CC")
    name = unique("Ev")
    errors = []

    def client(worker: int) -> None:
        api = Api(shared_api.server)
        for n in range(10):
            entities = [record(f"{sku}-{worker}-{n}-{i}", i + 1) for i in range(50)]
            answer = api.post(
                f"/api/v4.1/job/{job}/batch",
                {"action": "UPSERT", "entityType": "INVENTORY", "entities": entities, "event": name},
            )
            if answer.status_code != 200:
                errors.append(answer.text)

    threads = [threading.Thread(target=client, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    shared_api.server.drain()
    batches = shared_api.get(f"/api/v4.1/job/{job}").json()["batch"]
    assert len(batches) == 80 and {b["status"] for b in batches} == {"COMPLETE"}
    assert len(shared_api.events(name)) == 8 * 10 * 50
    catalogue = shared_api.server.backend.stores.inventory.catalogue("DEFAULT:1")
    assert sum(1 for ref in catalogue.positions if ref.startswith(f"{sku}-")) == 4000


def test_shutdown_finishes_every_accepted_batch():
    server = EmbeddedServer(ServerConfig(processing_window_s=0)).start()
    api = Api(server)
    server.run_on_loop(server.backend.worker.pause)
    job = api.job()
    sku = unique("SD")
    ids = [api.batch(job, [record(f"{sku}-{n}-{i}", 1) for i in range(200)]) for n in range(5)]
    server.stop()
    batches = [server.backend.stores.jobs.batch(server.backend.stores.jobs.job(job), batch_id) for batch_id in ids]
    assert [b.status for b in batches] == ["COMPLETE"] * 5
    assert (
        len([r for r in server.backend.stores.inventory.catalogue("DEFAULT:1").positions if r.startswith(sku)]) == 1000
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=20,
    )
)
def test_arbitrary_json_to_every_endpoint_is_never_a_server_error(shared_api, payload):
    for path in ("/api/v4.1/job", "/api/v4.1/event/sync", "/graphql"):
        answer = shared_api.session.post(shared_api.url + path, json=payload, timeout=30)
        assert answer.status_code < 500, (path, payload, answer.text[:200])
