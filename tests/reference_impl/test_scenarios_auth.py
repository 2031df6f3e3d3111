"""SPEC §12.8 (A1-A4) and the bearer rules, over HTTP."""

import logging

import requests

from tests.support import Api

CREDENTIALS = {
    "username": "admin",
    "password": "admin",
    "client_id": "DEMO",
    "client_secret": "demo-secret",
    "grant_type": "password",
    "scope": "api",
}


def test_a1_password_grant_answers_a_bearer_token(server):
    answer = requests.post(f"{server.url}/oauth/token", data=CREDENTIALS, timeout=10)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["scope"] == "api"
    assert body["expires_in"] == 86400 and body["access_token"] and body["refresh_token"]


def test_a2_bad_credentials(server):
    answer = requests.post(f"{server.url}/oauth/token", data={**CREDENTIALS, "password": "wrong"}, timeout=10)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Bad credentials"}


def test_a3_refresh_token_is_single_use(server):
    first = requests.post(f"{server.url}/oauth/token", data=CREDENTIALS, timeout=10).json()
    refresh = {
        "client_id": "DEMO",
        "client_secret": "demo-secret",
        "grant_type": "refresh_token",
        "refresh_token": first["refresh_token"],
    }
    renewed = requests.post(f"{server.url}/oauth/token", data=refresh, timeout=10)
    assert renewed.status_code == 200 and renewed.json()["access_token"] != first["access_token"]
    again = requests.post(f"{server.url}/oauth/token", data=refresh, timeout=10)
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


def test_a4_credentials_in_the_query_string_with_empty_or_empty_object_body(server):
    empty = requests.post(f"{server.url}/oauth/token", params=CREDENTIALS, timeout=10)
    braces = requests.post(f"{server.url}/oauth/token", params=CREDENTIALS, json={}, timeout=10)
    assert empty.status_code == braces.status_code == 200
    assert empty.json()["token_type"] == "bearer"


def test_missing_parameter_and_bad_client_and_grant(server):
    missing = requests.post(f"{server.url}/oauth/token", data={**CREDENTIALS, "username": ""}, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    client = requests.post(f"{server.url}/oauth/token", data={**CREDENTIALS, "client_secret": "x"}, timeout=10)
    assert client.status_code == 401 and client.json()["error"] == "invalid_client"
    grant = requests.post(f"{server.url}/oauth/token", data={**CREDENTIALS, "grant_type": "implicit"}, timeout=10)
    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"


def test_j6_no_or_invalid_token_is_401_with_the_envelope(server):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        answer = requests.get(f"{server.url}/api/v4.1/job/1", headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["errors"][0]["code"] == "401"
    graphql = requests.post(f"{server.url}/graphql", json={"query": "{ settings { edges { cursor } } }"}, timeout=10)
    assert graphql.status_code == 401


def test_scheme_is_case_insensitive_and_token_reusable(server):
    token = requests.post(f"{server.url}/oauth/token", data=CREDENTIALS, timeout=10).json()["access_token"]
    for scheme in ("bearer", "Bearer", "BEARER"):
        answer = requests.post(
            f"{server.url}/api/v4.1/job",
            json={"name": "j", "retailerId": 1},
            headers={"Authorization": f"{scheme} {token}", "fluent.account": "DEMO"},
            timeout=10,
        )
        assert answer.status_code == 200, scheme


def test_expired_token_is_401(server, clock):
    api = Api(server)
    assert api.get("/api/v4.1/event").status_code == 200
    clock.advance(86401)
    assert api.get("/api/v4.1/event").status_code == 401


def test_another_retailers_data_is_403(server):
    api = Api(server, "retailer2")
    assert api.post("/api/v4.1/job", {"name": "j", "retailerId": "1"}).status_code == 403
    own = api.job(retailer="2")
    batch = {
        "action": "UPSERT",
        "entityType": "INVENTORY",
        "entities": [{"skuRef": "S", "locationRef": "L", "qty": 1, "retailerId": 1}],
    }
    answer = api.post(f"/api/v4.1/job/{own}/batch", batch)
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "403"
    admin_job = Api(server).job(retailer="1")
    # what is stored for another retailer answers like a missing one (tests/reference_impl/test_isolation.py)
    assert api.get(f"/api/v4.1/job/{admin_job}").status_code == 404


def test_credentials_never_reach_the_logs(server, caplog):
    caplog.set_level(logging.DEBUG)
    secret = {**CREDENTIALS, "password": "admin", "client_secret": "demo-secret"}
    requests.post(f"{server.url}/oauth/token", params=secret, timeout=10)
    requests.post(f"{server.url}/oauth/token", data={**secret, "password": "s3cr3t-pass"}, timeout=10)
    token = requests.post(f"{server.url}/oauth/token", data=secret, timeout=10).json()["access_token"]
    requests.get(f"{server.url}/api/v4.1/event", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    # Only the server's own loggers: the test's HTTP client (urllib3) logs its URLs at DEBUG.
    server_text = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("reference_impl", "uvicorn")))
    assert "POST /oauth/token 200" in server_text, "the access log is on, so the check means something"
    for secret_text in ("demo-secret", "s3cr3t-pass", token, "password=admin"):
        assert secret_text not in server_text
