"""Authentication API and bearer tokens (group auth)."""

import pytest

from invharness.generators import payloads
from invharness.suites.helpers import Position


@pytest.mark.clause("AUTH-TOKEN-01")
def test_password_grant_answers_a_bearer_token(client):
    answer = client.token_request(form=client.credentials())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["token_type"].lower() == "bearer" and body["access_token"]
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert body["scope"] == "api"


@pytest.mark.clause("AUTH-TOKEN-02")
def test_bad_credentials(client):
    answer = client.token_request(form=client.credentials(password="not-the-password"))
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": "Bad credentials"}


@pytest.mark.clause("AUTH-TOKEN-03")
def test_form_fields(client):
    assert client.token_request(form=client.credentials()).status_code == 200


@pytest.mark.clause("AUTH-TOKEN-04")
@pytest.mark.parametrize("body", [None, {}], ids=["empty", "braces"])
def test_query_string_with_an_empty_body(client, body):
    answer = client.token_request(params=client.credentials(), json_body=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["access_token"]


def _refresh_form(client, token):
    return {
        "client_id": client.profile.client_id,
        "client_secret": client.profile.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": token,
    }


@pytest.mark.clause("AUTH-REFRESH-01", "AUTH-REFRESH-02")
def test_refresh_token_renews_once(client):
    first = client.token_request(form=client.credentials()).json()
    if "refresh_token" not in first:
        pytest.skip("unsupported: the account answers no refresh tokens")
    renewed = client.token_request(form=_refresh_form(client, first["refresh_token"]))
    assert renewed.status_code == 200 and renewed.json()["access_token"]
    again = client.token_request(form=_refresh_form(client, first["refresh_token"]))
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Invalid refresh token"}


@pytest.mark.clause("AUTH-BEARER-01")
@pytest.mark.parametrize("header", [None, "Bearer not-a-token", "Basic YWRtaW46YWRtaW4="])
def test_missing_or_invalid_token_is_401(client, header):
    headers = {} if header is None else {"Authorization": header}
    answer = client.request("GET", "/api/v4.1/job/1", auth=False, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["errors"][0]["message"]


@pytest.mark.clause("AUTH-BEARER-02", "AUTH-BEARER-03")
@pytest.mark.parametrize("scheme", ["bearer", "Bearer", "BEARER"])
def test_scheme_in_any_case_and_a_token_reused(client, ref, scheme):
    token = client.token()
    for _ in range(2):
        answer = client.request(
            "POST",
            "/api/v4.1/job",
            auth=False,
            headers={"Authorization": f"{scheme} {token}"},
            json=payloads.job(ref("job"), str(client.profile.primary_retailer)),
        )
        assert answer.status_code == 200, answer.text


@pytest.mark.clause("AUTH-RETAILER-01")
def test_another_retailers_data_is_403(client, other_client, ref, profile):
    if other_client.token() and profile.secondary_retailer == profile.primary_retailer:
        pytest.skip("unsupported: the profile names one retailer only")
    answer = other_client.request("POST", "/api/v4.1/job", json=payloads.job(ref("job"), str(profile.primary_retailer)))
    assert answer.status_code == 403
    job_id = other_client.create_job(payloads.job(ref("job"), str(profile.secondary_retailer)))
    position = Position.new(ref, profile)
    answer = other_client.post_batch(job_id, payloads.batch([position.record(1)]))
    assert answer.status_code == 403 and answer.json()["errors"]


@pytest.mark.clause("AUTH-HEADER-01")
def test_fluent_account_header_changes_nothing(client, ref, profile):
    answer = client.request(
        "POST",
        "/api/v4.1/job",
        headers={"fluent.account": profile.account_id},
        json=payloads.job(ref("job"), str(profile.primary_retailer)),
    )
    assert answer.status_code == 200 and answer.json()["id"].isdigit()


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
