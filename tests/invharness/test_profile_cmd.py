"""`invharness profile init / check`, the profile problems they name, and the example profiles."""

from pathlib import Path

import pytest
import yaml

from invharness import contracts
from invharness.cli import main
from invharness.reference_impl.config import load_config
from invharness.suites.profile import FEATURES, TargetProfile, load_profile
from invharness.suites.profile_check import allowed, problems

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_init_writes_every_key_with_its_allowed_and_reference_values(tmp_path, capsys):
    path = tmp_path / "p.yaml"
    assert main(["profile", "init", "--out", str(path)]) == 0
    text = path.read_text()
    raw = yaml.safe_load(text)
    assert problems(raw) == []
    for key in contracts.catalogue().profile_keys.values():
        assert raw["declared"][key.key] == key.reference, "the reference's value, as YAML reads it back"
        if key.values is not None:
            assert f"# allowed: {' | '.join(yaml.safe_dump(v).splitlines()[0] for v in key.values)}" in text
        assert key.description in text
    assert set(raw["features"]) == set(FEATURES) and raw["features"]["clock_control"] is False
    assert set(raw) == {"credentials", "other_user", "account_id", "retailers", "s3", "timeouts", "features"} | {
        "declared",
        "deviations",
    }
    profile = load_profile(path)
    assert profile.client_secret == TargetProfile().client_secret and profile.declared["bpp.default"] == "on"
    assert main(["profile", "init", "--out", str(path)]) == 2, "an existing file is not overwritten"
    assert "--overwrite" in capsys.readouterr().err


def test_init_from_target_asks_the_target(embedded_target_url, capsys):
    assert main(["profile", "init", "--from-target", embedded_target_url]) == 0
    text = capsys.readouterr().out
    raw = yaml.safe_load(text)
    assert f"Probed {embedded_target_url}" in text and "demo credentials work" in text
    assert raw["features"]["clock_control"] is True, "the embedded server lets the harness move its clock"
    assert raw["credentials"]["client_id"] == "DEMO"


def test_init_from_an_unreachable_target_is_a_usage_error(capsys):
    assert main(["profile", "init", "--from-target", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("invharness profile init: cannot reach http://127.0.0.1:9") and err.count("\n") == 1


BROKEN = """
credentials: {client_id: X, usernme: bob}
retailer: {primary: 1}
declared:
  job.lifetime: 48h
  job.lifetim: 24h
  bpp.default: on
  job.closed_batch_status: "400"
  feed.default_interval_s: fast
features: {feed: true}
deviations:
  - {clause: BPP-PREC-99, reason: x, expires: "2027-13-01"}
  - {clause: NOPE, reason: x, expires: 2027-01-01}
"""


def test_check_names_every_problem_with_what_to_do(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(BROKEN)
    assert main(["profile", "check", str(path)]) == 1
    out = capsys.readouterr().out
    for expected in (
        "retailer: unknown key; did you mean retailers?",
        "credentials.usernme: unknown key; did you mean username?",
        'declared.job.lifetime: "48h" is not allowed; choose one of "midnight_utc" | "24h"',
        "declared.job.lifetim: not a profile key; did you mean job.lifetime?",
        'declared.bpp.default: true is not allowed; choose one of "on" | "off" (YAML reads on/off',
        'declared.job.closed_batch_status: "400" is not allowed; choose one of 400 | 409 | 410 | 422',
        "declared.feed.default_interval_s: 'fast' is not a number",
        "features.feed: unknown feature; did you mean feeds?",
        "deviations.0.clause: BPP-PREC-99 is not a clause; did you mean BPP-PREC-09?",
        "deviations.0.expires: a date as YYYY-MM-DD, not '2027-13-01'",
        "deviations.1.clause: NOPE is not a clause; see `invharness clauses`",
    ):
        assert expected in out
    assert "11 problem(s)" in out


def test_check_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("declared: {job.lifetime: 24h}\n")
    assert main(["profile", "check", str(good)]) == 0
    assert "a valid profile (1 declared answer(s))" in capsys.readouterr().out
    bad_date = tmp_path / "date.yaml"
    bad_date.write_text("deviations: [{clause: AUTH-TOKEN-01, reason: x, expires: 2027-13-01}]\n")
    assert main(["profile", "check", str(good), str(tmp_path / "missing.yaml"), str(bad_date)]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml: cannot read the profile" in err and "date.yaml: cannot read the profile" in err
    not_a_mapping = tmp_path / "list.yaml"
    not_a_mapping.write_text("- a\n- b\n")
    assert main(["profile", "check", str(not_a_mapping)]) == 1


def test_allowed_values_are_matched_with_their_type():
    assert allowed("job.closed_batch_status", 409) is None
    assert allowed("bpp.setting_case_insensitive", 1) is not None, "1 is not true"
    assert allowed("job.closed_batch_status", True) is not None, "true is not 1"
    assert allowed("bpp.default_transients", [["SALE", "CREATED"]]) is None, "free values of the reference's kind"
    assert allowed("bpp.default_transients", "SALE") is not None
    assert problems(None) == [] and problems({}) == []


@pytest.mark.parametrize("name", ["profile-embedded.yaml", "profile-served.yaml", "profile-vendor.yaml"])
def test_every_example_profile_checks(name, capsys):
    assert main(["profile", "check", str(EXAMPLES / name)]) == 0
    assert "a valid profile" in capsys.readouterr().out


def test_the_served_example_agrees_with_the_server_config_it_names():
    """The three things a served reference needs, on both sides: clock control, the feed interval, the S3."""
    config = load_config(EXAMPLES / "serve-config.yaml", environ={})
    profile = load_profile(EXAMPLES / "profile-served.yaml")
    assert config.clock_control and profile.supports("clock_control")
    assert profile.value("feed.default_interval_s") == config.feed_interval_s
    assert profile.s3_endpoint == config.s3_endpoint
    assert "examples/serve-config.yaml" in (EXAMPLES / "profile-served.yaml").read_text()


def test_the_vendor_example_declares_and_deviates():
    profile = load_profile(EXAMPLES / "profile-vendor.yaml")
    assert profile.value("job.lifetime") == "24h" and profile.value("bpp.default") == "off"
    assert {d.clause for d in profile.deviations} == {"BPP-PREC-12", "AUTH-HEADER-01"}
    assert not profile.supports("clock_control") and not profile.supports("account_settings")
