"""Issue 15 (input hardening): each odd input of the issue's table is a 4xx or a GraphQL validation error,
never a 500 or an internal error, and nothing of it is stored; credentials are compared as bytes; refs
that would be ambiguous as keys are refused (decision D-REF-CHARS)."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
import requests

from invharness.reference_impl.errors import ApiError
from invharness.reference_impl.services import feeds, validation
from tests.support import Api, record, unique

QUANTITY_CREATE = "mutation($input: CreateInventoryQuantityInput) { createInventoryQuantity(input: $input) { ref } }"
QUANTITY_UPDATE = "mutation($input: UpdateInventoryQuantityInput) { updateInventoryQuantity(input: $input) { ref } }"


def _graphql(api: Api, query: str, variables: dict | None = None) -> dict:
    answer = api.post("/graphql", {"query": query, "variables": variables or {}})
    assert answer.status_code < 500, answer.text
    return answer.json()


def _refused(body: dict) -> str:
    """The message of a refusal that is the input's fault (Fluent's C0120E / BAD_REQUEST), never internal."""
    errors = body.get("errors") or []
    assert errors, body
    for error in errors:
        assert not error["message"].startswith("internal error"), body
    return errors[0]["message"]


# ---------------------------------------------------------------------- integer parameters


@pytest.mark.parametrize("value", ["²", "٣", "1" * 5000, "+1", " 1", "1_0", "-0"])
@pytest.mark.parametrize("name", ["start", "count"])
def test_integer_parameters_are_ascii_decimal_within_bounds(api, name, value):
    job = api.job()
    batch = api.batch(job, [record(unique("S"), 1)])
    for path in (f"/api/v4.1/job/{job}/batch/{batch}", "/api/v4.1/event"):
        answer = api.get(path, **{name: value})
        assert answer.status_code == 400, (path, value[:10], answer.status_code, answer.text[:200])
        assert name in answer.json()["errors"][0]["message"]


def test_a_retailer_id_filter_is_an_ascii_decimal(api):
    answer = api.get("/api/v4.1/event", retailerId="²")
    assert answer.status_code == 400, answer.text


# ---------------------------------------------------------------------- GraphQL inputs


def _position(api: Api) -> tuple[str, str]:
    sku = unique("HARD")
    api.run_batch([record(sku, qty=5)])
    return sku, f"{sku}:LOC1:DEFAULT"


def _quantity_input(sku: str, position: str, **fields) -> dict:
    return {
        "ref": f"{position}:SALE:{unique('q')}",
        "catalogue": {"ref": "DEFAULT:1"},
        "position": {"ref": position, "catalogue": {"ref": "DEFAULT:1"}},
        "type": "SALE",
        "status": "ACTIVE",
        "quantity": -1,
        **fields,
    }


@pytest.mark.parametrize("mutation", [QUANTITY_CREATE, QUANTITY_UPDATE], ids=["create", "update"])
def test_null_or_missing_input_is_a_validation_error(api, mutation):
    for variables in ({"input": None}, {}):
        assert "input" in _refused(_graphql(api, mutation, variables))


@pytest.mark.parametrize(
    "attributes", [[None], [None, {"name": "a", "type": "STRING", "value": "b"}]], ids=["null", "null-and-good"]
)
def test_null_attributes_are_a_validation_error_and_nothing_is_stored(api, attributes):
    sku, position = _position(api)
    data = _quantity_input(sku, position, attributes=attributes)
    assert "attributes" in _refused(_graphql(api, QUANTITY_CREATE, {"input": data}))
    assert data["ref"] not in api.quantities(sku)
    stored = api.add_quantity(sku, "SALE", -1)
    update = {"ref": stored, "catalogue": {"ref": "DEFAULT:1"}, "quantity": -4, "attributes": attributes}
    assert "attributes" in _refused(_graphql(api, QUANTITY_UPDATE, {"input": update}))
    assert api.quantities(sku)[stored]["quantity"] == -1, "the refused update changed the quantity"


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-05-01T00:00:00", 5, True])
def test_the_datetime_input_scalar_is_checked(api, value):
    sku, position = _position(api)
    data = _quantity_input(sku, position, expectedOn=value)
    _refused(_graphql(api, QUANTITY_CREATE, {"input": data}))
    assert data["ref"] not in api.quantities(sku)
    literal = json.dumps(value) if not isinstance(value, bool) else str(value).lower()
    query = "{ inventoryQuantities(expectedOn: {from: VALUE}) { edges { node { ref } } } }"
    _refused(_graphql(api, query.replace("VALUE", literal)))


def test_a_good_datetime_is_taken_as_given(api):
    sku, position = _position(api)
    data = _quantity_input(sku, position, expectedOn="2026-05-01T10:00:00+02:00")
    assert "errors" not in _graphql(api, QUANTITY_CREATE, {"input": data})
    query = """query($ref: String!) { inventoryQuantity(ref: $ref, catalogue: {ref: "DEFAULT:1"}) { expectedOn } }"""
    read = _graphql(api, query, {"ref": data["ref"]})["data"]["inventoryQuantity"]
    assert read == {"expectedOn": "2026-05-01T10:00:00+02:00"}


@pytest.mark.parametrize("setting_id", ["²", "٣", "1" * 400, "-1", ""])
def test_update_setting_with_an_odd_id_is_not_found(api, setting_id):
    mutation = "mutation($input: UpdateSettingInput) { updateSetting(input: $input) { id } }"
    data = {"id": setting_id, "valueType": "STRING", "value": "x", "context": "ACCOUNT", "contextId": 0}
    assert "setting" in _refused(_graphql(api, mutation, {"input": data}))


# ---------------------------------------------------------------------- bucket policies


@pytest.mark.parametrize(
    "policy",
    [
        "[]",
        '"text"',
        '{"Statement": "x"}',
        '{"Statement": [{"Effect": "Allow", "Principal": ["*"], "Action": 5, "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": 5}, "Action": "s3:*", "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": [{"a": 1}], "Resource": "*"}]}',
        '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": [["*"]]}]}',
        '{"Statement": {"Effect": "Allow", "Principal": {"AWS": [null]}, "Action": "*", "Resource": {}}}',
    ],
)
def test_malformed_bucket_policies_are_a_clear_refusal(policy):
    with pytest.raises(ApiError) as refused:
        validation.bucket_policy(policy)
    assert "bucket policy" in refused.value.message


def test_a_well_formed_policy_still_grants():
    assert feeds.grants_write(validation.bucket_policy(feeds.feed_policy("bucket")), "bucket") is True
    wildcard = {"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}}
    assert feeds.grants_write(validation.bucket_policy(json.dumps(wildcard)), "bucket") is True
    assert feeds.grants_write(validation.bucket_policy(json.dumps({**wildcard, "Statement": []})), "bucket") is False


def test_activation_against_a_malformed_policy_says_so(api, local_s3):
    import boto3

    bucket = unique("malformed-policy-").lower()
    s3 = boto3.client(
        "s3", endpoint_url=local_s3.url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    s3.create_bucket(Bucket=bucket)
    statement = {"Effect": "Allow", "Principal": {"AWS": [feeds.FEED_PRINCIPAL]}, "Action": "s3:*", "Resource": [["*"]]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    with pytest.raises(feeds.FeedError) as refused:
        api.server.backend.feeds.validate_destination(bucket)
    assert "malformed" in refused.value.message and "Resource" in refused.value.message


# ---------------------------------------------------------------------- credentials


@pytest.mark.parametrize("field", ["password", "client_secret", "client_id", "username"])
@pytest.mark.parametrize("value", ["pässword", "密码", "\U0001f511"])
def test_non_ascii_credentials_answer_alike_for_known_and_unknown_users(api, field, value):
    answers = []
    for username in ("admin", "no-such-user"):
        answer = api.token(**{"username": username, "password": "admin", field: value})
        assert answer.status_code in (400, 401), (field, answer.status_code, answer.text)
        answers.append((answer.status_code, answer.json()))
    assert answers[0] == answers[1], answers
    assert value not in json.dumps(answers, ensure_ascii=False)


def test_credentials_are_compared_as_bytes_in_constant_time(monkeypatch, api):
    from invharness.reference_impl.services import auth

    compared = []

    def compare_digest(a, b):
        compared.append((type(a), type(b)))
        return auth_compare(a, b)

    auth_compare = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", compare_digest)
    good = {"username": "admin", "password": "admin"}
    assert api.token(**good, client_secret="wrong").status_code == 401
    assert api.token(**good, client_id="unknown-client").status_code == 401
    assert api.token(**{**good, "password": "wrong"}).status_code == 400
    assert api.token(**good).status_code == 200
    assert len(compared) == 6 and set(compared) == {(bytes, bytes)}, compared  # 4 client secrets, 2 passwords


# ---------------------------------------------------------------------- ambiguous refs (D-REF-CHARS)


def test_colon_in_sku_or_location_cannot_merge_two_positions(api):
    one, two = record("COL:A", loc="B", qty=3), record("COL", loc="A:B", qty=7)
    body = api.run_batch([one, two])
    refused = {r["index"] for r in body["results"] if r["code"] == "INVALID_RECORD"}
    assert refused == {0, 1}, body["results"]
    assert api.gql(
        """{ inventoryPosition(ref: "COL:A:B:DEFAULT", catalogue: {ref: "DEFAULT:1"}) { ref } }"""
    )["inventoryPosition"] is None


@pytest.mark.parametrize("sku", ["NUL\x00", "TAB\tX", "DEL\x7f"])
def test_control_characters_in_refs_are_refused(api, sku):
    body = api.run_batch([record(sku, 1)])
    assert [r["index"] for r in body["results"]] == [0], body["results"]


def test_delta_refs_with_a_colon_are_refused(api):
    event = {
        "name": "INVENTORY_DELTA",
        "entityType": "INVENTORY_CATALOGUE",
        "entityRef": "DEFAULT:1",
        "retailerId": "1",
        "attributes": {"deltas": [{"productRef": "COL:A", "locationRef": "B", "qty": 1}]},
    }
    answer = api.post("/api/v4.1/event/sync", event)
    assert answer.status_code == 400, answer.text
    assert "productRef" in answer.text


@pytest.mark.parametrize("ref", ["../escape", "a/b", "nul\x00", ".", "..", "sp ace", ""])
def test_feed_refs_that_are_not_safe_object_keys_are_refused(api, ref):
    mutation = "mutation($input: CreateInventoryFeedInput) { createInventoryFeed(input: $input) { ref } }"
    data = {
        "ref": ref,
        "name": "x",
        "source": {"type": "INVENTORY_POSITION"},
        "destination": {
            "type": "AWS_S3",
            "destinationAttributes": [
                {"key": "AWS_ACCOUNT_ID", "value": "123456789012"},
                {"key": "AWS_S3_BUCKET_NAME", "value": "bucket"},
            ],
        },
        "dataFormat": "PARQUET",
    }
    assert "ref" in _refused(_graphql(api, mutation, {"input": data}))
    query = "query($ref: String!) { inventoryFeed(ref: $ref) { ref } }"
    assert _graphql(api, query, {"ref": ref})["data"]["inventoryFeed"] is None


# ---------------------------------------------------------------------- logs


@pytest.fixture
def uvicorn_logged(server, caplog):
    """uvicorn's own log (it does not propagate to the root logger caplog listens to) in caplog too; after
    the server started, whose uvicorn configuration replaces the handlers of its loggers."""
    logger = logging.getLogger("uvicorn")
    logger.addHandler(caplog.handler)
    yield
    logger.removeHandler(caplog.handler)


@pytest.mark.usefixtures("uvicorn_logged")
def test_a_500_is_one_error_line_and_the_access_log_shows_500(server, api, caplog, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(server.backend.jobs, "create_job", broken)
    with caplog.at_level(logging.INFO):
        answer = api.post("/api/v4.1/job", {"name": "x", "retailerId": "1"})
        assert answer.status_code == 500
        _wait_for(lambda: _access(caplog, " /api/v4.1/job "))  # logged once the answer is sent
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is not None
    assert [line.split()[2] for line in _access(caplog, " /api/v4.1/job ")] == ["500"], _access(caplog, "")


def _access(caplog, part: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "reference_impl.access" and part in r.getMessage()]


def _wait_for(condition, timeout_s: float = 5) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not condition():
        time.sleep(0.02)


@pytest.mark.usefixtures("uvicorn_logged")
def test_a_client_that_goes_away_mid_upload_is_one_info_line(server, caplog):
    token = Api(server).session.headers["Authorization"]
    host, port = server.url.removeprefix("http://").split(":")
    with caplog.at_level(logging.INFO):
        with socket.create_connection((host, int(port)), timeout=5) as sock:
            head = (
                "POST /api/v4.1/job HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Authorization: {token}\r\nContent-Length: 100000\r\n\r\n"
            )
            sock.sendall(head.encode() + b'{"name": "')
        requests.get(f"{server.url}/healthz", timeout=5)
        _wait_for(lambda: _gone(caplog))
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == [], [r.getMessage() for r in caplog.records]
    assert len(_gone(caplog)) == 1, [r.getMessage() for r in caplog.records]


def _gone(caplog) -> list:
    return [r for r in caplog.records if r.levelno == logging.INFO and "went away" in r.getMessage()]


def test_graphql_quantity_refs_with_control_characters_are_refused(api):
    sku, position = _position(api)
    data = _quantity_input(sku, position, ref=f"{position}:SALE:\x00")
    assert "ref" in _refused(_graphql(api, QUANTITY_CREATE, {"input": data}))
    assert data["ref"] not in api.quantities(sku)


@pytest.mark.parametrize("offset", ["²", "1" * 5000, "-1"])
def test_a_cursor_with_an_odd_offset_is_refused(api, offset):
    import base64

    cursor = base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()
    query = "query($after: String) { inventoryPositions(first: 1, after: $after) { edges { node { ref } } } }"
    assert "cursor" in _refused(_graphql(api, query, {"after": cursor}))


def test_a_graphql_internal_error_is_one_error_line_with_its_traceback(server, api, caplog, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(server.backend.settings, "search", broken)
    with caplog.at_level(logging.INFO):
        body = _graphql(api, "{ settings { edges { node { id } } } }")
    assert body["errors"][0]["message"] == "internal error: RuntimeError", body
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None, [r.getMessage() for r in errors]
    assert "boom" not in json.dumps(body), "the details stay in the log"
