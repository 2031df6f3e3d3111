"""Whether batch pre-processing applies: settings and the job's meta (group bpp-precedence).

These checks write the ACCOUNT-level setting and the secondary retailer's setting, in file order:
first with no setting anywhere (only a fresh target has none), then ACCOUNT only, then RETAILER
over ACCOUNT. Settings cannot be deleted, so a case whose starting point is gone is skipped.
"""

import pytest

from invharness.generators import payloads
from invharness.suites.client import PrerequisiteFailed
from invharness.suites.helpers import Position, forwarded, put_setting, setting_exists

pytestmark = [
    pytest.mark.requires("settings_writes"),
    pytest.mark.requires("account_settings"),
    pytest.mark.xdist_group("account-settings"),  # one worker, in file order: they share the settings
]
OMIT = object()


def bpp_applies(client, ref, profile, meta=OMIT) -> bool:
    """SPEC §12.1: the same unchanged record again in a second job is filtered iff BPP applies."""
    retailer = profile.secondary_retailer
    position = Position.new(ref, profile, retailer)
    forwarded(client, ref, [position.record(5)], retailer)
    again = forwarded(client, ref, [position.record(5)], retailer, *(() if meta is OMIT else (meta,)))
    return again == {}


def _no_retailer_setting(client, profile):
    if setting_exists(client, "RETAILER", profile.secondary_retailer):
        raise PrerequisiteFailed(f"retailer {profile.secondary_retailer} already has a RETAILER setting")


@pytest.mark.clause("BPP-PREC-11")
def test_no_setting_anywhere_follows_the_declared_default(client, ref, profile):
    if setting_exists(client, "ACCOUNT", 0):
        raise PrerequisiteFailed("the ACCOUNT setting exists already (only a fresh target has none)")
    _no_retailer_setting(client, profile)
    assert bpp_applies(client, ref, profile) is (profile.value("bpp.default") == "on")


ACCOUNT_ONLY = [
    ("BPP-PREC-01", "TRUE", OMIT, True),
    ("BPP-PREC-02", "TRUE", {"preprocessing": "skip"}, False),
    ("BPP-PREC-03", "TRUE", {"preprocessing": "enabled"}, True),
    ("BPP-PREC-04", "TRUE", {"preprocessing": "anything"}, True),
    ("BPP-PREC-05", "TRUE", None, True),
    ("BPP-PREC-05", "TRUE", {}, True),
    ("BPP-PREC-06", "FALSE", {"preprocessing": "enabled"}, False),
    ("BPP-PREC-07", "FALSE", {"preprocessing": "skip"}, False),
]


@pytest.mark.parametrize(
    ("account", "meta", "expected"),
    [pytest.param(a, m, e, marks=pytest.mark.clause(c), id=f"{c}-{i}") for i, (c, a, m, e) in enumerate(ACCOUNT_ONLY)],
)
def test_account_setting_and_job_meta(client, ref, profile, account, meta, expected):
    _no_retailer_setting(client, profile)
    put_setting(client, "ACCOUNT", 0, account)
    assert bpp_applies(client, ref, profile, meta) is expected


@pytest.mark.clause("BPP-PREC-12")
def test_skip_in_another_case_is_as_declared(client, ref, profile):
    _no_retailer_setting(client, profile)
    put_setting(client, "ACCOUNT", 0, "TRUE")
    opts_out = not profile.value("bpp.skip_case_sensitive")
    assert bpp_applies(client, ref, profile, {"preprocessing": "SKIP"}) is (not opts_out)


@pytest.mark.clause("BPP-PREC-13")
def test_lower_case_setting_values_are_read_as_declared(client, ref, profile):
    _no_retailer_setting(client, profile)
    put_setting(client, "ACCOUNT", 0, "false")
    applies = bpp_applies(client, ref, profile)
    put_setting(client, "ACCOUNT", 0, "TRUE")
    assert applies is (not profile.value("bpp.setting_case_insensitive"))


@pytest.mark.clause("BPP-PREC-14", "BPP-PREC-15")
def test_setting_is_read_as_declared_and_meta_covers_every_batch(client, ref, profile):
    _no_retailer_setting(client, profile)
    put_setting(client, "ACCOUNT", 0, "TRUE")
    retailer = profile.secondary_retailer
    position = Position.new(ref, profile, retailer)
    forwarded(client, ref, [position.record(5)], retailer)
    skipping = client.create_job(payloads.job(ref("job"), str(retailer), {"preprocessing": "skip"}))
    for _ in range(2):  # every batch of the job, not only the first
        assert forwarded(client, ref, [position.record(5)], retailer, job_id=skipping) == {position.ref: 1}
    later = client.create_job(payloads.job(ref("job"), str(retailer)))
    put_setting(client, "ACCOUNT", 0, "FALSE")
    counts = forwarded(client, ref, [position.record(5)], retailer, job_id=later)
    put_setting(client, "ACCOUNT", 0, "TRUE")
    read_at_processing = profile.value("bpp.setting_read_at") == "processing"
    assert counts == ({position.ref: 1} if read_at_processing else {})


RETAILER_OVER_ACCOUNT = [
    ("BPP-PREC-08", "TRUE", "FALSE", OMIT, False),
    ("BPP-PREC-09", "FALSE", "TRUE", OMIT, True),
    ("BPP-PREC-10", "FALSE", "TRUE", {"preprocessing": "skip"}, False),
]


@pytest.mark.parametrize(
    ("account", "retailer", "meta", "expected"),
    [pytest.param(a, r, m, e, marks=pytest.mark.clause(c), id=c) for c, a, r, m, e in RETAILER_OVER_ACCOUNT],
)
def test_retailer_setting_overrides_the_account(client, ref, profile, account, retailer, meta, expected):
    put_setting(client, "ACCOUNT", 0, account)
    put_setting(client, "RETAILER", profile.secondary_retailer, retailer)
    try:
        assert bpp_applies(client, ref, profile, meta) is expected
    finally:
        put_setting(client, "ACCOUNT", 0, "TRUE")
