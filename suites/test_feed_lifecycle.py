"""Inventory feed creation, activation and runs (group feed-lifecycle).

A feed's status is read back with inventoryFeed after every change; runs are waited for with a
deadline (the declared interval sets it) and their files are read from the destination bucket and
compared row by row with the stock the check loaded. Each check exports only its own positions.
"""

import datetime as dt
import itertools
import json
import time

import pytest

from invharness.suites.helpers import Position, new_bucket
from invharness.suites.inventory_writes import UPDATE_VIRTUAL_POSITION, make_virtual_catalogue, make_virtual_position
from invharness.suites.readback import (
    eventually,
    export_rows,
    feed_status,
    finished,
    load,
    make_feed,
    runs_of,
    set_feed_status,
    step_data,
    wait_for_runs,
)

pytestmark = pytest.mark.requires("feeds")
UPDATE = "mutation($input: UpdateInventoryFeedInput) { updateInventoryFeed(input: $input) { ref status } }"
FEED = """query($r: String!) { inventoryFeed(ref: $r) { ref status source { type filters { name operator value } }
    destination { destinationAttributes { key value } } } }"""
RUN = "query($r: String!) { inventoryFeedRun(ref: $r) { ref status runType recordCount fileLocation } }"


@pytest.fixture
def s3(profile):
    from invharness.suites.helpers import s3_client

    return s3_client(profile)


def interval(profile):
    return float(profile.value("feed.default_interval_s"))


def budget(profile, runs):
    if interval(profile) * (runs + 1) > 120:
        pytest.skip(
            f"unsupported: waiting for {runs} runs of a {interval(profile):.0f}s schedule exceeds the check's budget"
        )
    return interval(profile) * (runs + 1) + 10


def create(client, ref, profile, s3, filters=None, source="INVENTORY_POSITION", policy=True, region=None):
    bucket, feed_ref = ref("dest").lower().replace("_", "-")[:60], ref("feed")
    return make_feed(client, s3, profile, feed_ref, bucket, source, filters, region, policy)


def activate(client, feed):
    set_feed_status(client, feed.ref, "ACTIVE", "FEED-ACT-03")


def switch_off(client, profile, feed):
    set_feed_status(client, feed.ref, profile.value("feed.inactive_status"), "FEED-ACT-04")


def new_success(client, profile, feed, before, runs=2):
    """The first SUCCESS run of ``feed`` that is not one of ``before`` (refs), waited for."""
    budget_s = budget(profile, runs)

    def probe():
        fresh = [
            r for r in runs_of(client, feed.ref) if r["ref"] not in before and r["status"] in ("SUCCESS", "FAILED")
        ]
        return fresh[0] if fresh else None

    return eventually(probe, budget_s, 0.2, f"feed {feed.ref}: a run after {sorted(before)}")


def rows(s3, run, feed):
    return sorted((r["ref"], r["quantity"]) for r in export_rows(s3, run, feed.bucket))


def _started(run):
    return dt.datetime.fromisoformat(run["startedOn"].replace("Z", "+00:00"))


@pytest.mark.clause("FEED-CREATE-01", "FEED-CREATE-02")
def test_create_saves_the_feed_created_and_answers_the_bucket_policy(client, ref, profile, s3):
    filters = [{"name": "REF", "operator": "IN", "value": [ref("nothing")]}]
    feed = create(client, ref, profile, s3, filters=filters, policy=False)
    assert feed.answer["status"] == "CREATED", f"createInventoryFeed answered status {feed.answer['status']}"
    stored = step_data(client, "FEED-CREATE-01", "inventoryFeed", FEED, r=feed.ref)["inventoryFeed"]
    assert stored is not None, f"inventoryFeed {feed.ref} finds nothing after createInventoryFeed"
    destination = {a["key"]: a["value"] for a in stored["destination"]["destinationAttributes"]}
    assert (
        stored["status"],
        stored["source"]["type"],
        stored["source"]["filters"],
        destination.get("AWS_S3_BUCKET_NAME"),
    ) == (
        "CREATED",
        "INVENTORY_POSITION",
        filters,
        feed.bucket,
    ), "the feed read back: (status, source type, filters, destination bucket)"
    attribute = profile.value("feed.policy_attribute")
    assert feed.policy is not None, f"no {attribute} attribute (feed.policy_attribute) in {feed.answer['attributes']}"
    policy = json.loads(feed.policy)
    resources = json.dumps([s.get("Resource") for s in policy.get("Statement", [])])
    assert feed.bucket in resources, f"the {attribute} policy's resources {resources} do not name {feed.bucket}"
    s3.put_bucket_policy(Bucket=feed.bucket, Policy=feed.policy)


@pytest.mark.clause("FEED-ACT-01")
def test_a_destination_in_another_region_is_refused(client, ref, profile, s3):
    other = "eu-west-1" if profile.s3_region != "eu-west-1" else "ap-southeast-2"
    feed = create(client, ref, profile, s3, region=other)
    errors = client.graphql(UPDATE, input={"ref": feed.ref, "status": "ACTIVE"}).get("errors") or []
    assert errors and "IllegalLocationConstraintException" in errors[0]["message"], f"activation answered {errors}"
    assert feed_status(client, feed.ref) != "ACTIVE", "the feed's stored status after the refused activation"


@pytest.mark.clause("FEED-ACT-02")
def test_activation_without_the_policy_says_what_is_missing(client, ref, profile, s3):
    feed = create(client, ref, profile, s3, policy=False)
    errors = client.graphql(UPDATE, input={"ref": feed.ref, "status": "ACTIVE"}).get("errors") or []
    assert errors and "polic" in errors[0]["message"].lower(), f"activation without the policy answered {errors}"
    assert feed_status(client, feed.ref) != "ACTIVE", "the feed's stored status after the refused activation"


@pytest.mark.clause("FEED-ACT-03", "FEED-ACT-04")
def test_activate_switch_off_and_on_again(client, ref, profile, s3):
    feed = create(client, ref, profile, s3, filters=[{"name": "REF", "operator": "IN", "value": [ref("nothing")]}])
    inactive = profile.value("feed.inactive_status")
    every = interval(profile)
    answered = client.data(UPDATE, input={"ref": feed.ref, "status": "ACTIVE"})["updateInventoryFeed"]["status"]
    assert (answered, feed_status(client, feed.ref)) == ("ACTIVE", "ACTIVE"), "activation: (answered, stored)"
    wait_for_runs(client, feed.ref, 1, budget(profile, 1))
    answered = client.data(UPDATE, input={"ref": feed.ref, "status": inactive})["updateInventoryFeed"]["status"]
    assert (answered, feed_status(client, feed.ref)) == (inactive, inactive), (
        f"switching off to {inactive} (feed.inactive_status): (answered, stored)"
    )
    time.sleep(every / 2)  # a run that began as the feed was switched off may still end
    before = {r["ref"] for r in runs_of(client, feed.ref)}
    time.sleep(every * 2)
    after = [r["ref"] for r in runs_of(client, feed.ref) if r["ref"] not in before]
    assert after == [], f"runs started in {every * 2:.0f}s after the feed was switched off"
    answered = client.data(UPDATE, input={"ref": feed.ref, "status": "ACTIVE"})["updateInventoryFeed"]["status"]
    assert (answered, feed_status(client, feed.ref)) == ("ACTIVE", "ACTIVE"), "on again: (answered, stored)"
    assert new_success(client, profile, feed, before | set(after), runs=1)["status"] == "SUCCESS", "a run once on again"
    switch_off(client, profile, feed)


@pytest.mark.clause("FEED-RUN-01", "FEED-RUN-02", "FEED-RUN-03", "FEED-OUT-01", "FEED-SCHED-01")
def test_runs_come_on_schedule_full_then_incremental_and_reach_the_destination(client, ref, profile, s3):
    positions = [Position.new(ref, profile) for _ in range(2)]
    load(client, ref, [p.record(i + 3) for i, p in enumerate(positions)], profile.primary_retailer)
    feed = create(
        client, ref, profile, s3, filters=[{"name": "REF", "operator": "IN", "value": [p.ref for p in positions]}]
    )
    activate(client, feed)
    try:
        first = finished(wait_for_runs(client, feed.ref, 1, budget(profile, 1)))[0]
        assert (first["status"], first["runType"]) == ("SUCCESS", "FULL"), f"the first run: {first}"
        exported = rows(s3, first, feed)
        assert exported == sorted((p.ref, i + 3) for i, p in enumerate(positions)), "the first run's rows (ref, onHand)"
        assert first["recordCount"] == len(exported), (
            f"recordCount {first['recordCount']} of a file of {len(exported)} rows"
        )
        load(client, ref, [positions[0].record(30)], profile.primary_retailer)
        before = {r["ref"] for r in runs_of(client, feed.ref)}
        later = new_success(client, profile, feed, before)
        assert (later["status"], later["runType"]) == ("SUCCESS", "INCREMENTAL"), f"the run after a change: {later}"
        assert rows(s3, later, feed) == [(positions[0].ref, 30)], "the incremental run's rows: what changed"
        assert later["recordCount"] == 1, f"recordCount of the incremental run: {later['recordCount']}"
        runs = runs_of(client, feed.ref)
        for run in (first, later):
            one = client.data(RUN, r=run["ref"])["inventoryFeedRun"]
            assert one == {k: run[k] for k in ("ref", "status", "runType", "recordCount", "fileLocation")}, (
                f"inventoryFeedRun {run['ref']} against the listed run"
            )
        assert {first["ref"], later["ref"]} <= {r["ref"] for r in runs}, "inventoryFeedRuns lists every run"
        starts = sorted(_started(r) for r in runs if r.get("startedOn"))
        gaps = [round((b - a).total_seconds(), 2) for a, b in itertools.pairwise(starts)]
        every = interval(profile)
        assert gaps and all(every * 0.75 <= g <= every * 2 + 2 for g in gaps), (
            f"seconds between runs {gaps}; declared feed.default_interval_s: {every:g}"
        )
    finally:
        switch_off(client, profile, feed)


@pytest.mark.clause("FEED-RUN-04")
def test_a_failed_run_says_why_and_the_next_catches_up(client, ref, profile, s3):
    position = Position.new(ref, profile)
    load(client, ref, [position.record(1)], profile.primary_retailer)
    feed = create(client, ref, profile, s3, filters=[{"name": "REF", "operator": "EQUAL_TO", "value": position.ref}])
    activate(client, feed)
    try:
        wait_for_runs(client, feed.ref, 1, budget(profile, 1))
        for item in s3.list_objects_v2(Bucket=feed.bucket).get("Contents", []):
            s3.delete_object(Bucket=feed.bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=feed.bucket)
        load(client, ref, [position.record(2)], profile.primary_retailer)
        before = {r["ref"] for r in runs_of(client, feed.ref)}  # a later run began after the change
        failed = new_success(client, profile, feed, before)  # the first run after it: to a bucket that is gone
        assert failed["status"] == "FAILED", f"a run to a deleted bucket: {failed}"
        assert isinstance(failed["errorMessage"], str) and failed["errorMessage"].strip(), f"errorMessage of {failed}"
        new_bucket(s3, feed.bucket, profile.s3_region)
        s3.put_bucket_policy(Bucket=feed.bucket, Policy=feed.policy)

        def caught_up():  # the first SUCCESS since the change: every run before it failed
            fresh = [r for r in runs_of(client, feed.ref) if r["ref"] not in before and r["status"] == "SUCCESS"]
            return fresh[0] if fresh else None

        run = eventually(caught_up, budget(profile, 2), 0.2, f"feed {feed.ref}: a SUCCESS run after the failure")
        assert rows(s3, run, feed) == [(position.ref, 2)], "the run after the failure exports the change it missed"
    finally:
        switch_off(client, profile, feed)


@pytest.mark.clause("FEED-RUN-03", "FEED-OUT-01")
def test_a_virtual_position_feed_exports_positions_made_and_changed_through_the_api(client, ref, profile, s3):
    # the check's own virtual catalogue and positions (createVirtualCatalogue / createVirtualPosition),
    # not whatever the target derives from its inventory
    catalogue, sku = f"{ref('VC')}:{profile.primary_retailer}", ref("SKU")
    make_virtual_catalogue(client, catalogue, "BASE", profile.primary_retailer, status="ACTIVE")
    for i, quantity in enumerate((3, 7)):
        make_virtual_position(client, catalogue, sku, f"L{i}", quantity)
    only_ours = [{"name": "CATALOGUE_REF", "operator": "EQUAL_TO", "value": catalogue}]
    feed = create(client, ref, profile, s3, filters=only_ours, source="VIRTUAL_POSITION")
    activate(client, feed)
    try:
        first = finished(wait_for_runs(client, feed.ref, 1, budget(profile, 1)))[0]
        assert (first["status"], first["runType"]) == ("SUCCESS", "FULL"), f"the first run: {first}"
        assert rows(s3, first, feed) == [(f"{sku}:L0", 3), (f"{sku}:L1", 7)], "the first run's rows (ref, quantity)"
        change = {"ref": f"{sku}:L1", "catalogue": {"ref": catalogue}, "quantity": 1}
        step_data(client, "GQL-VPOS-01", "updateVirtualPosition", UPDATE_VIRTUAL_POSITION, input=change)
        before = {r["ref"] for r in runs_of(client, feed.ref)}
        later = new_success(client, profile, feed, before)
        assert (later["status"], later["runType"]) == ("SUCCESS", "INCREMENTAL"), f"the run after the change: {later}"
        assert rows(s3, later, feed) == [(f"{sku}:L1", 1)], "the incremental run's rows: the updated virtual position"
    finally:
        switch_off(client, profile, feed)
