"""Authentication API and bearer tokens (group auth)."""

import pytest

from invharness.generators import payloads
from invharness.suites.helpers import Position, new_job


def usable(client, ref, token_answer, how: str) -> None:
    """The token answered works: a job can be created with it (an echo of a token proves nothing)."""
    assert token_answer.status_code == 200, f"{how}: expected 200 with a token, got {token_answer.status_code}"
    token = token_answer.json().get("access_token")
    assert isinstance(token, str) and token, f"{how}: expected an access_token, got {token_answer.json()}"
    answer = client.request(
        "POST",
        "/api/v4.1/job",
        auth=False,
        headers={"Authorization": f"Bearer {token}"},
        json=payloads.job(ref("job"), str(client.profile.primary_retailer)),
    )
    assert answer.status_code == 200, (
        f"{how}: a job created with the answered token: expected 200, got {answer.status_code}"
    )


@pytest.mark.clause("AUTH-TOKEN-01")
def test_password_grant_answers_a_bearer_token(client, ref):
    answer = client.token_request(form=client.credentials())
    usable(client, ref, answer, "a password grant")
    body = answer.json()
    assert str(body.get("token_type")).lower() == "bearer", f"token_type: expected bearer, got {body.get('token_type')}"
    expires = body.get("expires_in")
    assert isinstance(expires, int) and expires > 0, f"expires_in: expected a positive integer, got {expires!r}"
    assert body.get("scope") == "api", f"scope: expected api, got {body.get('scope')!r}"


@pytest.mark.clause("AUTH-TOKEN-02")
@pytest.mark.parametrize("field", ["password", "username"])
def test_bad_credentials(client, field):
    answer = client.token_request(form=client.credentials(**{field: "not-the-" + field}))
    expected = {"error": "invalid_grant", "error_description": "Bad credentials"}
    assert (answer.status_code, answer.json()) == (400, expected), (
        f"a wrong {field}: expected 400 {expected}, got {answer.status_code} {answer.text[:200]}"
    )


@pytest.mark.clause("AUTH-TOKEN-03")
def test_form_fields(client, ref):
    usable(client, ref, client.token_request(form=client.credentials()), "form fields")


@pytest.mark.clause("AUTH-TOKEN-04")
@pytest.mark.parametrize("body", [None, {}], ids=["empty", "braces"])
def test_query_string_with_an_empty_body(client, ref, body):
    usable(client, ref, client.token_request(params=client.credentials(), json_body=body), f"query string, body {body}")


def _refresh_form(client, token):
    return {
        "client_id": client.profile.client_id,
        "client_secret": client.profile.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": token,
    }


@pytest.mark.clause("AUTH-REFRESH-01", "AUTH-REFRESH-02")
def test_refresh_token_renews_once(client, ref):
    first = client.token_request(form=client.credentials()).json()
    if "refresh_token" not in first:
        pytest.skip("unsupported: the account answers no refresh tokens")
    usable(client, ref, client.token_request(form=_refresh_form(client, first["refresh_token"])), "a refresh grant")
    again = client.token_request(form=_refresh_form(client, first["refresh_token"]))
    expected = {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    assert (again.status_code, again.json()) == (400, expected), (
        f"the refresh token used again: expected 400 {expected}, got {again.status_code} {again.text[:200]}"
    )


@pytest.mark.clause("AUTH-BEARER-01")
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic YWRtaW46YWRtaW4="])
def test_missing_or_invalid_token_is_401(client, ref, header):
    headers = {} if header is None else {"Authorization": header}
    job_id = new_job(client, ref, client.profile.primary_retailer)  # a job that exists: only the token is wrong
    answer = client.request("GET", f"/api/v4.1/job/{job_id}", auth=False, headers=headers)
    assert answer.status_code == 401, f"Authorization {header!r}: expected 401, got {answer.status_code}"
    errors = answer.json().get("errors")
    assert errors and errors[0].get("message"), f"expected the errors envelope, got {answer.text[:200]}"


@pytest.mark.clause("AUTH-BEARER-02", "AUTH-BEARER-03")
@pytest.mark.parametrize("scheme", ["bearer", "Bearer", "BEARER"])
def test_scheme_in_any_case_and_a_token_reused(client, ref, scheme):
    token = client.token()
    headers = {"Authorization": f"{scheme} {token}"}
    for number in (1, 2, 3):
        answer = client.request(
            "POST",
            "/api/v4.1/job",
            auth=False,
            headers=headers,
            json=payloads.job(ref("job"), str(client.profile.primary_retailer)),
        )
        assert answer.status_code == 200, f"use {number} of a token with scheme {scheme!r}: got {answer.status_code}"
        read = client.request("GET", f"/api/v4.1/job/{answer.json()['id']}", auth=False, headers=headers)
        assert read.status_code == 200, f"reading the job with scheme {scheme!r}: got {read.status_code}"


@pytest.mark.clause("AUTH-RETAILER-01")
def test_another_retailers_data_is_403(client, other_client, ref, profile):
    if other_client.token() and profile.secondary_retailer == profile.primary_retailer:
        pytest.skip("unsupported: the profile names one retailer only")
    answer = other_client.request("POST", "/api/v4.1/job", json=payloads.job(ref("job"), str(profile.primary_retailer)))
    assert answer.status_code == 403
    job_id = other_client.create_job(payloads.job(ref("job"), str(profile.secondary_retailer)))
    position = Position.new(ref, profile)
    answer = other_client.post_batch(job_id, payloads.batch([position.record(1)]))
    assert answer.status_code == 403 and answer.json()["errors"], f"expected 403 and errors, got {answer.text[:200]}"
    assert client.request("GET", f"/api/v4.1/job/{job_id}").json()["batch"] == [], "the refused batch was stored"


@pytest.mark.clause("AUTH-HEADER-01")
def test_fluent_account_header_changes_nothing(client, ref, profile):
    answer = client.request(
        "POST",
        "/api/v4.1/job",
        headers={"fluent.account": profile.account_id},
        json=payloads.job(ref("job"), str(profile.primary_retailer)),
    )
    assert answer.status_code == 200 and answer.json()["id"].isdigit()
    read = client.request("GET", f"/api/v4.1/job/{answer.json()['id']}", headers={"fluent.account": profile.account_id})
    assert read.status_code == 200 and read.json()["jobId"] == answer.json()["id"]


# ---------------------------------------------------------------- the me query (issue 14)

ME = "{ me { id ref username primaryRetailer { id ref } roles { role { name } contexts { contextType contextId } } } }"


@pytest.mark.clause("AUTH-ME-01")
def test_me_names_the_user_the_token_was_issued_to(client, profile):
    me = client.data(ME)["me"]
    assert me is not None and me["username"] == profile.username, me


@pytest.mark.clause("AUTH-ME-01")
def test_me_of_a_second_user_names_that_user(client, other_client, profile):
    mine, theirs = client.data(ME)["me"], other_client.data(ME)["me"]
    assert theirs is not None and theirs["username"] == profile.other_username, theirs
    assert mine["username"] == profile.username, "each token answers its own user"
