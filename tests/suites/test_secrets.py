"""Secrets never leak from `invharness verify`, even on the shortest path (the fault runs of
test_faults.py grep every byte written for canary secrets; this covers what they cannot)."""

import socket

from invharness.cli import main
from invharness.suites.client import redact


def test_an_unreachable_target_with_secrets_in_its_url_leaks_nothing(tmp_path, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    profile = tmp_path / "p.yaml"
    profile.write_text("credentials: {client_secret: canaryCSdead01, password: canaryPWdead02}\n")
    url = f"http://127.0.0.1:{port}/base?client_secret=canaryCSdead01&password=canaryPWdead02"
    code = main(["verify", "--target-url", url, "--profile", str(profile), "--report-dir", str(tmp_path / "r")])
    out, err = capsys.readouterr()
    assert code == 4 and "unreachable: connection refused" in err
    written = out + err + "".join(p.read_text() for p in (tmp_path / "r").rglob("*") if p.is_file())
    assert "canaryCSdead01" not in written and "canaryPWdead02" not in written


def test_redaction_of_pytest_style_failure_output():
    text = (
        "E   AssertionError: assert 500 == 200\n"
        "E    +  where 500 = <Response [500]>.status_code\n"
        "E   {'username': 'u', 'password': 'canary pw', 'client_secret': 'c&s'}\n"
        "E   POST /oauth/token?client_secret=c%26s&password=canary+pw -> 500\n"
    )
    cleaned = redact(text, ["canary pw", "c&s"])
    assert "canary" not in cleaned and "c&s" not in cleaned and "c%26s" not in cleaned
