"""Whether batch pre-processing applies: settings and the job's meta (group bpp-precedence).

Settings cannot be deleted, so no check here depends on a setting being absent, except the one
that must (BPP-PREC-11, no setting anywhere: it says "needs a fresh target" on any other). Every
case writes each level it names, explicitly: the effective setting at both levels (RETAILER and
ACCOUNT agree, so precedence cannot decide the case), RETAILER over an ACCOUNT that says the
opposite, and the ACCOUNT setting alone over the profile's ``account_only`` retailer, which no check
ever gives a RETAILER setting. The checks share the ACCOUNT setting and the secondary retailer's:
they run on one worker, in file order; the primary retailer, which other groups use, is pinned on
first so moving the ACCOUNT setting never changes what they see.
"""

from dataclasses import dataclass
from typing import Any

import pytest

from invharness.suites.client import StepFailed
from invharness.suites.helpers import OMIT, Position, bpp_pinned_on, forwarded, new_job, put_setting, setting_exists

pytestmark = [
    pytest.mark.requires("settings_writes"),
    pytest.mark.requires("account_settings"),
    pytest.mark.xdist_group("account-settings"),  # one worker, in file order: they share the settings
]
SKIP, ENABLED = {"preprocessing": "skip"}, {"preprocessing": "enabled"}


@pytest.fixture(scope="module", autouse=True)
def _settings_restored(session_client, profile):
    """Pin the primary retailer on before the ACCOUNT setting moves; leave the ACCOUNT TRUE (the
    documented pre-set value) behind."""
    bpp_pinned_on(session_client, profile)
    yield
    put_setting(session_client, "ACCOUNT", 0, "TRUE")


def _meta_text(meta: Any) -> str:
    return "meta omitted" if meta is OMIT else f"meta {meta!r}"


def bpp_applies(client, ref, profile, retailer: int, meta: Any = OMIT) -> bool:
    """SPEC §12.1: the same unchanged record again in a second job is filtered iff BPP applies."""
    position = Position.new(ref, profile, retailer)
    first = forwarded(client, ref, [position.record(5, status="ACTIVE")], retailer)
    if first != {position.ref: 1}:
        raise StepFailed("BPP-OBS-01", f"a new record: expected one event for {position.ref}, got {first}")
    again = forwarded(client, ref, [position.record(5, status="ACTIVE")], retailer, meta)
    assert again in ({}, {position.ref: 1}), (
        f"the unchanged record again: expected no event (filtered) or one (forwarded), got {again}"
    )
    return again == {}


def judge(applies: bool, expected: bool, situation: str) -> None:
    def word(on: bool) -> str:
        return "on (the unchanged record filtered)" if on else "off (the unchanged record forwarded)"

    assert applies is expected, f"{situation}: expected pre-processing {word(expected)}, observed {word(applies)}"


def both_levels(client, profile, value: str) -> None:
    """The effective setting ``value`` whichever level the target reads first."""
    put_setting(client, "ACCOUNT", 0, value)
    put_setting(client, "RETAILER", profile.secondary_retailer, value)


def account_only(client, profile) -> int:
    """The retailer the ACCOUNT setting alone governs."""
    retailer = profile.account_only_retailer
    if retailer is None:
        pytest.skip("unsupported: the profile names no retailers.account_only (a retailer never given a setting)")
    if setting_exists(client, "RETAILER", retailer):
        pytest.skip(f"needs a fresh target: retailer {retailer} (account_only) has a RETAILER setting already")
    return retailer


@pytest.mark.clause("BPP-PREC-11")
def test_no_setting_anywhere_follows_the_declared_default(client, ref, profile):
    retailer = profile.account_only_retailer or profile.secondary_retailer
    if setting_exists(client, "ACCOUNT", 0) or setting_exists(client, "RETAILER", retailer):
        pytest.skip(
            "needs a fresh target: settings cannot be deleted, and the ACCOUNT or the RETAILER "
            f"{retailer} setting exists already"
        )
    declared = profile.value("bpp.default")
    applies = bpp_applies(client, ref, profile, retailer)
    judge(applies, declared == "on", f"no setting anywhere, declared bpp.default {declared!r}")


@dataclass(slots=True, frozen=True)
class Case:
    clause: str
    setting: str  # the effective setting
    meta: Any
    expected: bool


EFFECTIVE = [
    Case("BPP-PREC-01", "TRUE", OMIT, True),
    Case("BPP-PREC-02", "TRUE", SKIP, False),
    Case("BPP-PREC-03", "TRUE", ENABLED, True),
    Case("BPP-PREC-04", "TRUE", {"preprocessing": "anything"}, True),
    Case("BPP-PREC-05", "TRUE", None, True),
    Case("BPP-PREC-05", "TRUE", {}, True),
    Case("BPP-PREC-06", "FALSE", ENABLED, False),
    Case("BPP-PREC-07", "FALSE", SKIP, False),
]


@pytest.mark.parametrize("level", ["both-levels", "account-only"])
@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=pytest.mark.clause(c.clause), id=f"{c.clause}-{i}") for i, c in enumerate(EFFECTIVE)]
)
def test_effective_setting_and_job_meta(client, ref, profile, case, level):
    if level == "both-levels":
        both_levels(client, profile, case.setting)
        retailer, where = profile.secondary_retailer, "at ACCOUNT and RETAILER"
    else:
        retailer = account_only(client, profile)
        put_setting(client, "ACCOUNT", 0, case.setting)
        where = f"at ACCOUNT only (retailer {retailer} has none)"
    applies = bpp_applies(client, ref, profile, retailer, case.meta)
    judge(applies, case.expected, f"setting {case.setting} {where}, {_meta_text(case.meta)}")


@pytest.mark.clause("BPP-PREC-12")
def test_skip_in_another_case_is_as_declared(client, ref, profile):
    both_levels(client, profile, "TRUE")
    sensitive = profile.value("bpp.skip_case_sensitive")
    applies = bpp_applies(client, ref, profile, profile.secondary_retailer, {"preprocessing": "SKIP"})
    judge(applies, sensitive, f'setting TRUE, meta "SKIP", declared bpp.skip_case_sensitive {sensitive}')


@pytest.mark.clause("BPP-PREC-13")
@pytest.mark.parametrize(("retailer_value", "account_value"), [("false", "TRUE"), ("true", "FALSE")])
def test_lower_case_setting_values_are_read_as_declared(client, ref, profile, retailer_value, account_value):
    """A lower-case RETAILER value over an ACCOUNT saying the opposite: read, it decides; not read,
    the ACCOUNT does."""
    insensitive = profile.value("bpp.setting_case_insensitive")
    put_setting(client, "ACCOUNT", 0, account_value)
    try:
        put_setting(client, "RETAILER", profile.secondary_retailer, retailer_value)
    except StepFailed:
        if insensitive:
            raise
        return  # refused at the write: not read as TRUE/FALSE, as declared
    applies = bpp_applies(client, ref, profile, profile.secondary_retailer)
    read = retailer_value if insensitive else account_value
    judge(
        applies,
        read.upper() == "TRUE",
        f"RETAILER {retailer_value!r} over ACCOUNT {account_value}, declared bpp.setting_case_insensitive "
        f"{insensitive}",
    )


@pytest.mark.clause("BPP-PREC-14")
@pytest.mark.parametrize(("at_creation", "at_processing"), [("TRUE", "FALSE"), ("FALSE", "TRUE")])
def test_a_setting_changed_after_the_job_was_created_is_read_as_declared(
    client, ref, profile, at_creation, at_processing
):
    retailer = profile.secondary_retailer
    both_levels(client, profile, at_creation)
    position = Position.new(ref, profile, retailer)
    forwarded(client, ref, [position.record(5, status="ACTIVE")], retailer)
    job_id = new_job(client, ref, retailer)
    both_levels(client, profile, at_processing)
    counts = forwarded(client, ref, [position.record(5, status="ACTIVE")], retailer, job_id=job_id)
    read_at = profile.value("bpp.setting_read_at")
    governing = at_processing if read_at == "processing" else at_creation
    judge(
        counts == {},
        governing == "TRUE",
        f"setting {at_creation} when the job was created, {at_processing} when its batch was processed, "
        f"declared bpp.setting_read_at {read_at!r}",
    )


@pytest.mark.clause("BPP-PREC-15")
@pytest.mark.parametrize("meta", [SKIP, ENABLED], ids=["skip", "enabled"])
def test_the_job_meta_covers_every_batch_of_the_job(client, ref, profile, meta):
    both_levels(client, profile, "TRUE")
    retailer = profile.secondary_retailer
    position = Position.new(ref, profile, retailer)
    forwarded(client, ref, [position.record(5, status="ACTIVE")], retailer)
    job_id = new_job(client, ref, retailer, meta)
    expected = {} if meta is ENABLED else {position.ref: 1}
    for number in (1, 2, 3):  # every batch of the job, not only the first
        counts = forwarded(client, ref, [position.record(5, status="ACTIVE")], retailer, job_id=job_id)
        assert counts == expected, (
            f"batch {number} of job {job_id} ({_meta_text(meta)}): expected {expected}, got {counts}"
        )


RETAILER_OVER_ACCOUNT = [
    ("BPP-PREC-08", "TRUE", "FALSE", OMIT, False),
    ("BPP-PREC-09", "FALSE", "TRUE", OMIT, True),
    ("BPP-PREC-10", "FALSE", "TRUE", SKIP, False),
]


@pytest.mark.parametrize(
    ("account", "retailer", "meta", "expected"),
    [pytest.param(a, r, m, e, marks=pytest.mark.clause(c), id=c) for c, a, r, m, e in RETAILER_OVER_ACCOUNT],
)
def test_retailer_setting_overrides_the_account(client, ref, profile, account, retailer, meta, expected):
    put_setting(client, "ACCOUNT", 0, account)
    put_setting(client, "RETAILER", profile.secondary_retailer, retailer)
    applies = bpp_applies(client, ref, profile, profile.secondary_retailer, meta)
    judge(applies, expected, f"RETAILER {retailer} over ACCOUNT {account}, {_meta_text(meta)}")
