"""Every declared behaviour is a real behaviour of the reference server (issue 10, point 3).

For each profile key of the clause catalogue and each value it allows (for an open key: the
reference's value and one other), the reference configured to play that value is judged by the
checks of the clauses the key governs: under a profile declaring the same value they conform, under
a profile declaring another value they fail. The whole matrix is heavy: it runs behind the
``profiles`` marker (`python -m pytest -m profiles tests/reference_impl/test_profile_behaviours.py`);
the normal run keeps two keys, one flip each, judged together.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from invharness import cli, contracts, suites
from invharness.reference_impl.config import AccountConfig, ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from invharness.reference_impl.services.deltas import apply_deltas
from invharness.reference_impl.services.preprocessing import preprocessing_applies
from invharness.reference_impl.services.settings import parse_bool
from invharness.reference_impl.services.worker import BatchWorker
from invharness.reference_impl.stores.inventory import InMemoryInventory, Position
from tests.suites.test_coverage import clauses_cited

# Keys that take any value (values: null): one value other than the reference's, that the checks can see.
OTHER_VALUE = {
    "bpp.default_transients": [["SALE", "ACTIVE"], ["RESERVED", "ACTIVE"]],
    "feed.policy_attribute": "BUCKET_POLICY",
    "feed.inactive_status": "DISABLED",
    "bpp.processing_window_s": 0.6,
    "limits.graphql.max_depth": 8,
    "limits.graphql.max_aliases": 50,
    "limits.graphql.max_complexity": 50_000,
    "limits.json.max_depth": 64,
}
# A declared value that says a feature is absent: its checks are all unsupported (nothing to pass), and a
# server that has the feature after all does not fail them (doing more than declared is no breach).
ABSENT = [("inventory.deactivation_input", "none")]  # a list: some values (lists) are unhashable
# The reference's 300 s feed schedule is past a check's budget (its check says unsupported): two short ones.
JUDGEABLE = {"feed.default_interval_s": [1, 6]}  # 6: past the check's tolerance for a 1 s schedule
BASE_INTERVAL_S = 1  # the feed interval every case runs with, unless feed.default_interval_s is the key judged
# A key that only shows under another key's value: both played and declared with it.
CONTEXT = {"bpp.processing_window_s": {"bpp.dedup_scope": "processing_window"}}


def values(key: str) -> list:
    if key in JUDGEABLE:
        return JUDGEABLE[key]
    entry = contracts.catalogue().profile_keys[key]
    return list(entry.values) if entry.values is not None else [entry.reference, OTHER_VALUE[key]]


def governed(key: str) -> list[str]:
    """The clauses whose checks a key's declared value changes."""
    return [c.id for c in contracts.clauses() if c.profile == key]


def cases() -> list[tuple[str, object, object]]:
    """(key, the value the server plays, another value of the key or None when it allows only one)."""
    found = []
    for key in contracts.catalogue().profile_keys:
        allowed = values(key)
        for i, value in enumerate(allowed):
            other = allowed[(i + 1) % len(allowed)] if len(allowed) > 1 else None
            found.append((key, value, other))
    return found


def server(local_s3, declared: dict) -> EmbeddedServer:
    config = ServerConfig(
        account=AccountConfig(retailers=(1, 2, 3)), s3_endpoint=local_s3.url, clock_control=True
    ).declaring({"feed.default_interval_s": BASE_INTERVAL_S, **declared})
    return EmbeddedServer(config)


def profile_file(path: Path, local_s3, declared: dict) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "s3": {"endpoint": local_s3.url},
                "retailers": {"account_only": 3},
                "features": {"clock_control": True},
                "declared": {"feed.default_interval_s": BASE_INTERVAL_S, **declared},
                "timeouts": {"batch_s": 15},
            }
        )
    )
    return path


def judge(url: str, profile: Path, clauses: list[str], scratch: Path) -> tuple[dict[str, str], str]:
    """Run the checks citing ``clauses`` against ``url``: each clause's verdict, and the run's output."""
    paths, names = set(), set()
    root = Path(suites.__file__).parent
    groups = {c.id: c.group for c in contracts.clauses()}
    for clause in clauses:
        stem = f"test_{groups[clause].replace('-', '_')}"
        for path in [*root.glob(f"{stem}.py"), *root.glob(f"{stem}_*.py")]:  # a group may be split by area
            module = __import__(f"invharness.suites.{path.stem}", fromlist=["_"])
            cited = {n for n, ids in clauses_cited(module).items() if clause in ids}
            if cited:
                paths.add(str(path))
                names |= cited
    scratch.mkdir(parents=True, exist_ok=True)
    ini = scratch / "pytest.ini"
    ini.write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", *sorted(paths), "-k", " or ".join(sorted(names)), "-c", str(ini)]
    command += ["--rootdir", str(scratch), "-p", "invharness.suites.plugin", "-p", "no:cacheprovider", "-q"]
    command += ["--target-url", url, "--profile", str(profile), "--report-dir", str(scratch / "report")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    results = json.loads((scratch / "report" / "results.json").read_text())
    verdicts = {c["id"]: c["verdict"] for c in results["clauses"] if c["id"] in clauses}
    return verdicts, done.stdout[-3000:]


def conforms(verdicts: dict[str, str]) -> bool:
    """Every governed clause judged and none failing (a check may find a declared value unsupported)."""
    return set(verdicts.values()) <= {"pass", "unsupported"} and "pass" in verdicts.values()


def played_and_judged(local_s3, tmp_path: Path, plays: dict, declares: dict, clauses: list[str]) -> tuple:
    """Verdicts (and output) of ``clauses`` against a fresh reference playing ``plays``, under a
    profile declaring ``declares``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    profile = profile_file(tmp_path / "profile.yaml", local_s3, declares)
    with server(local_s3, plays) as running:
        return judge(running.url, profile, clauses, tmp_path / "run")


@pytest.mark.profiles
@pytest.mark.parametrize(("key", "value", "other"), cases(), ids=[f"{k}={v!r}" for k, v, _ in cases()])
def test_each_value_of_each_key_is_played(key, value, other, local_s3, tmp_path):
    clauses, context = governed(key), CONTEXT.get(key, {})
    plays = {**context, key: value}
    verdicts, output = played_and_judged(local_s3, tmp_path / "same", plays, plays, clauses)
    if (key, value) in ABSENT:
        assert set(verdicts.values()) == {"unsupported"}, (f"playing {key}: {value!r}", verdicts, output)
    else:
        assert conforms(verdicts), (f"playing {key}: {value!r}, declared the same", verdicts, output)
    if other is None or (key, other) in ABSENT:
        return  # the only value the key allows: nothing else to declare
    verdicts, output = played_and_judged(local_s3, tmp_path / "other", plays, {**context, key: other}, clauses)
    assert "fail" in verdicts.values(), (f"playing {key}: {value!r}, declared {other!r}", verdicts, output)


def test_two_keys_flipped_are_played_and_told_apart(local_s3, tmp_path):
    """The short version: the reference plays a non-reference value of two keys at once; declared, their
    clauses conform; left at the reference's values in the profile, both clauses fail."""
    plays = {"bpp.dedup_winner": "first", "event.async_id_field": "eventId"}
    clauses = ["BPP-DEDUP-01", "EVT-ASYNC-01"]
    verdicts, output = played_and_judged(local_s3, tmp_path / "same", plays, plays, clauses)
    assert verdicts == dict.fromkeys(clauses, "pass"), (verdicts, output)
    verdicts, output = played_and_judged(local_s3, tmp_path / "other", plays, {}, clauses)
    assert verdicts == dict.fromkeys(clauses, "fail"), (verdicts, output)


def test_every_value_of_every_key_can_be_declared_and_is_what_the_services_read():
    for key in contracts.catalogue().profile_keys:
        assert governed(key), f"{key} governs no clause"
        for value in values(key):
            config = ServerConfig().declaring({key: value})
            assert config.behaviours[key] == value
    numeric = ServerConfig().declaring({"feed.default_interval_s": 7, "bpp.processing_window_s": 0.2})
    assert (numeric.feed_interval_s, numeric.processing_window_s) == (7, 0.2)  # plain settings too


@pytest.mark.parametrize(
    ("declared", "words"),
    [
        ({"bpp.dedup_scop": "job"}, "unknown profile key 'bpp.dedup_scop'"),
        ({"bpp.dedup_scope": "window"}, "'window' is not one of the allowed values"),
        ({"job.closed_batch_status": "409"}, "'409' is not one of the allowed values"),
        ({"bpp.default_transients": "SALE"}, "expected a value like"),
    ],
)
def test_serve_refuses_a_profile_it_cannot_play(tmp_path, capsys, declared, words):
    profile = tmp_path / "profile.yaml"
    profile.write_text(yaml.safe_dump({"declared": declared}))
    assert cli.main(["serve", "--port", "0", "--profile", str(profile)]) == 2  # before anything is started
    stderr = capsys.readouterr().err
    assert "bad --profile" in stderr and words in stderr, stderr


# ---------------------------------------------------------------------- the services' rules, unit by unit


@pytest.mark.parametrize(
    ("scope", "groups"),
    [("job", [[0, 1, 2]]), ("processing_window", [[0, 1], [2]]), ("batch", [[0], [1], [2]])],
)
def test_the_worker_groups_pending_batches_by_the_declared_scope(scope, groups):
    worker = BatchWorker(processor=None, store=None, transaction=None, window_s=0.1, scope=scope)  # type: ignore[arg-type]
    batches = [SimpleNamespace(n=n) for n in range(3)]
    worker._arrived.update({id(b): at for b, at in zip(batches, (10.0, 10.08, 10.5), strict=True)})
    assert [[b.n for b in group] for group in worker._groups(batches)] == groups


def test_an_unknown_scope_is_refused():
    with pytest.raises(ValueError, match=r"bpp\.dedup_scope"):
        BatchWorker(processor=None, store=None, transaction=None, scope="window")  # type: ignore[arg-type]


def test_setting_values_and_skip_are_read_with_the_declared_case_rules():
    assert (parse_bool("true"), parse_bool("true", case_insensitive=False), parse_bool("TRUE", False)) == (
        True,
        None,
        True,
    )
    assert preprocessing_applies(True, {"preprocessing": "SKIP"}) is True  # only "skip" opts out
    assert preprocessing_applies(True, {"preprocessing": "SKIP"}, skip_case_sensitive=False) is False
    assert preprocessing_applies(None, None, default=False) is False


def test_deltas_accumulate_or_replay_as_declared():
    inventory = InMemoryInventory()
    catalogue = inventory.ensure_catalogue("DEFAULT:1", 1, 0.0)
    catalogue.positions["P:L:DEFAULT"] = Position("P:L:DEFAULT", catalogue, "P", "L", "DEFAULT", 0.0)
    delta = {"productRef": "P", "locationRef": "L", "qty": -2, "deltaId": "d1"}
    apply_deltas(inventory, "DEFAULT:1", [delta, {**delta, "deltaId": "d2"}], 1.0, per_delta=False)
    again = apply_deltas(inventory, "DEFAULT:1", [delta], 2.0, per_delta=False, idempotent=False)
    quantities = [(q.type, q.quantity) for q in catalogue.positions["P:L:DEFAULT"].quantities.values()]
    assert (again.applied, quantities) == (1, [("DELTA", -6)])  # one DELTA quantity; d1 applied twice


def test_a_group_over_the_durable_stores_cap_is_cut_into_parts_of_whole_batches():
    worker = BatchWorker(
        processor=None, store=None, transaction=None, max_group_records=5000  # type: ignore[arg-type]
    )
    batches = [SimpleNamespace(n=n, size=size) for n, size in enumerate((3000, 2000, 4000, 6000, 1))]
    assert [[b.n for b in part] for part in worker._parts(batches)] == [[0, 1], [2], [3], [4]]
