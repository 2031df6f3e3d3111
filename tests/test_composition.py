"""The composition root: with no --target-url, the target is the embedded reference server."""

import requests


def test_without_a_target_the_embedded_reference_server_answers(target_url):
    assert target_url.startswith("http://127.0.0.1:")
    answer = requests.post(
        f"{target_url}/oauth/token",
        timeout=10,
        data={
            "username": "admin",
            "password": "admin",
            "client_id": "DEMO",
            "client_secret": "demo-secret",
            "grant_type": "password",
            "scope": "api",
        },
    )
    assert answer.status_code == 200 and answer.json()["token_type"] == "bearer"


def test_target_url_option_is_registered(pytestconfig):
    assert pytestconfig.getoption("--target-url") is None
