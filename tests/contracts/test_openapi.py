"""openapi.yaml: a valid OpenAPI 3.1 document that schemathesis can fuzz."""

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from invharness import contracts

OPENAPI_PATH = contracts.CONTRACTS_DIR / "openapi.yaml"
OPERATIONS = {
    ("POST", "/oauth/token"),
    ("POST", "/api/v4.1/job"),
    ("GET", "/api/v4.1/job/{jobId}"),
    ("POST", "/api/v4.1/job/{jobId}/batch"),
    ("GET", "/api/v4.1/job/{jobId}/batch/{batchId}"),
    ("POST", "/api/v4.1/event/async"),
    ("POST", "/api/v4.1/event/sync"),
    ("GET", "/api/v4.1/event"),
    ("GET", "/api/v4.1/event/{eventId}"),
}
SCHEMA = schemathesis.openapi.from_path(str(OPENAPI_PATH))


def test_document_passes_the_openapi_validator():
    document, uri = read_from_filename(str(OPENAPI_PATH))
    validate(document, base_uri=uri)


def test_every_rest_operation_is_there():
    found = {(op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations()}
    assert found == OPERATIONS


def _operations():
    for path, methods in contracts.openapi()["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


@pytest.mark.parametrize(
    ("path", "method", "operation"), list(_operations()), ids=[f"{m.upper()} {p}" for p, m, _ in _operations()]
)
def test_operation_documents_its_errors_and_security(path, method, operation):
    responses = operation["responses"]
    assert "200" in responses and "400" in responses
    if path == "/oauth/token":
        assert operation["security"] == []
    else:
        assert "security" not in operation, "the bearer scheme applies to every API operation"
        assert "401" in responses
        assert "403" in responses
    if "{" in path:
        assert "404" in responses
    if method == "post":
        assert "413" in responses
    assert operation["operationId"] and operation["summary"]


def _bodies_refer_to_files():
    for path, method, operation in _operations():
        for media in operation.get("requestBody", {}).get("content", {}).values():
            yield f"{method} {path}", media["schema"]


def test_no_empty_schema_where_the_shape_is_known():
    for label, schema in _bodies_refer_to_files():
        assert schema, f"{label} has an empty request schema"


GENERATED = [
    ("/api/v4.1/job", "POST", "job-create-request"),
    ("/api/v4.1/job/{jobId}/batch", "POST", "batch-create-request"),
    ("/api/v4.1/event/sync", "POST", "event-request"),
]


@pytest.mark.parametrize(("path", "method", "name"), GENERATED)
def test_schemathesis_generates_bodies_our_validators_accept(path, method, name):
    # The same files serve schemathesis (fuzzing) and our validators (the server's input check).
    checker = contracts.validator(name)

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(SCHEMA[path][method].as_strategy())
    def check(case):
        assert checker.is_valid(case.body), checker.explain(case.body)

    check()


# The links schemathesis's stateful phase walks (invharness fuzz): create job -> create batch -> read batch -> read job,
# and create event -> read event.
LINKS = {
    ("createJob", "createBatch"),
    ("createJob", "getJob"),
    ("createBatch", "getBatch"),
    ("createBatch", "getJob"),
    ("getBatch", "getJob"),
    ("createEventAsync", "getEvent"),
    ("createEventSync", "getEvent"),
}


def _links():
    by_id = {op["operationId"]: (path, op) for path, _, op in _operations()}
    for path, _, operation in _operations():
        for status, response in operation["responses"].items():
            for name, link in (response.get("links") or {}).items():
                yield operation["operationId"], status, name, link, by_id.get(link["operationId"]), path


def test_links_chain_job_batch_and_event_operations():
    assert {(source, link["operationId"]) for source, _, _, link, _, _ in _links()} == LINKS


def test_every_link_fills_the_path_parameters_of_its_target_from_a_real_answer():
    for source, status, name, link, target, source_path in _links():
        assert status == "200", f"{source}.{name}: links follow a success"
        assert target is not None, f"{source}.{name} names an unknown operationId"
        path, _ = target
        wanted = set(re.findall(r"{(\w+)}", path))
        assert set(link["parameters"]) == wanted, (
            f"{source}.{name} fills {set(link['parameters'])}, {path} needs {wanted}"
        )
        for expression in link["parameters"].values():
            where, _, rest = expression.partition("#")
            if where == "$response.body":
                answer = contracts.openapi()["paths"][source_path]
                schema_ref = next(iter(answer.values()))["responses"]["200"]["content"]["application/json"]["schema"]
                schema = contracts.schema(schema_ref["$ref"].removeprefix("schemas/").removesuffix(".schema.json"))
                assert rest.strip("/") in schema["required"], f"{source}.{name}: {expression} is not a required field"
            else:
                assert where in {f"$request.path.{p}" for p in re.findall(r"{(\w+)}", source_path)}, expression


def test_schemathesis_sees_every_link():
    assert SCHEMA.statistic.transitions.total == len(LINKS)
