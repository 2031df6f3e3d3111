"""Inventory feed creation, activation and runs (group feed-lifecycle)."""

import json

import pytest

from invharness.suites.helpers import (
    UPDATE_FEED,
    Position,
    bpp_pinned_on,
    create_feed,
    feed_runs,
    forwarded,
    new_bucket,
    read_export,
    s3_client,
    wait_runs,
)

pytestmark = pytest.mark.requires("feeds")


@pytest.fixture
def s3(profile):
    return s3_client(profile)


def budget(profile, runs):
    interval = float(profile.value("feed.default_interval_s"))
    if interval * (runs + 1) > 120:
        pytest.skip(f"unsupported: waiting for {runs} runs of a {interval:.0f}s schedule exceeds the check's budget")
    return interval * (runs + 1) + 10


def create(client, ref, profile, s3, filters=None, source="INVENTORY_POSITION", policy=True, region=None):
    bucket, feed_ref = ref("dest").lower().replace("_", "-")[:60], ref("feed")
    created, policy_text = create_feed(client, s3, profile, feed_ref, bucket, source, filters, region, policy)
    return feed_ref, bucket, created, policy_text


@pytest.mark.clause("FEED-CREATE-01", "FEED-CREATE-02")
def test_create_answers_created_and_the_bucket_policy(client, ref, profile, s3):
    _, bucket, created, policy_text = create(client, ref, profile, s3, policy=False)
    assert created["status"] == "CREATED"
    assert policy_text is not None, f"no {profile.value('feed.policy_attribute')} attribute"
    assert bucket in json.dumps(json.loads(policy_text))


@pytest.mark.clause("FEED-ACT-01")
def test_a_destination_in_another_region_is_refused(client, ref, profile, s3):
    other = "eu-west-1" if profile.s3_region != "eu-west-1" else "ap-southeast-2"
    feed_ref, *_ = create(client, ref, profile, s3, region=other)
    errors = client.graphql(UPDATE_FEED, input={"ref": feed_ref, "status": "ACTIVE"}).get("errors") or []
    assert errors and "IllegalLocationConstraintException" in errors[0]["message"]


@pytest.mark.clause("FEED-ACT-02")
def test_activation_without_the_policy_says_what_is_missing(client, ref, profile, s3):
    feed_ref, *_ = create(client, ref, profile, s3, policy=False)
    errors = client.graphql(UPDATE_FEED, input={"ref": feed_ref, "status": "ACTIVE"}).get("errors") or []
    assert errors and "polic" in errors[0]["message"].lower()
    status = client.data("query($r: String!) { inventoryFeed(ref: $r) { status } }", r=feed_ref)["inventoryFeed"]
    assert status["status"] != "ACTIVE"


@pytest.mark.clause("FEED-ACT-03", "FEED-ACT-04")
def test_activate_switch_off_and_on_again(client, ref, profile, s3):
    feed_ref, *_ = create(client, ref, profile, s3, source="INVENTORY_CATALOGUE")
    inactive = profile.value("feed.inactive_status")
    for status in ("ACTIVE", inactive, "ACTIVE", inactive):
        assert (
            client.data(UPDATE_FEED, input={"ref": feed_ref, "status": status})["updateInventoryFeed"]["status"]
            == status
        )


@pytest.mark.clause("FEED-RUN-01", "FEED-RUN-02", "FEED-RUN-03", "FEED-OUT-01", "FEED-SCHED-01")
def test_runs_come_on_schedule_full_then_incremental_and_reach_the_destination(client, ref, profile, s3):
    bpp_pinned_on(client, profile)
    positions = [Position.new(ref, profile) for _ in range(2)]
    forwarded(client, ref, [p.record(i + 3) for i, p in enumerate(positions)], profile.primary_retailer)
    mine = [{"name": "REF", "operator": "IN", "value": [p.ref for p in positions]}]
    feed_ref, *_ = create(client, ref, profile, s3, filters=mine)
    client.data(UPDATE_FEED, input={"ref": feed_ref, "status": "ACTIVE"})
    first = wait_runs(client, feed_ref, 1, budget(profile, 1))[0]
    assert (first["status"], first["runType"], first["recordCount"]) == ("SUCCESS", "FULL", 2)
    rows = read_export(s3, first["fileLocation"])
    assert sorted((r["ref"], r["quantity"]) for r in rows) == sorted((p.ref, i + 3) for i, p in enumerate(positions))
    forwarded(client, ref, [positions[0].record(30)], profile.primary_retailer)
    runs = wait_runs(client, feed_ref, 2, budget(profile, 2))
    later = [r for r in runs if r["ref"] != first["ref"] and r["status"] == "SUCCESS"]
    assert later and later[0]["runType"] == "INCREMENTAL"
    assert [(r["ref"], r["quantity"]) for r in read_export(s3, later[0]["fileLocation"])] == [(positions[0].ref, 30)]
    one = client.data("query($r: String!) { inventoryFeedRun(ref: $r) { ref status } }", r=first["ref"])
    assert one["inventoryFeedRun"] == {"ref": first["ref"], "status": "SUCCESS"}
    client.data(UPDATE_FEED, input={"ref": feed_ref, "status": profile.value("feed.inactive_status")})


@pytest.mark.clause("FEED-RUN-04")
def test_a_failed_run_says_why_and_the_next_catches_up(client, ref, profile, s3):
    bpp_pinned_on(client, profile)
    position = Position.new(ref, profile)
    forwarded(client, ref, [position.record(1)], profile.primary_retailer)
    feed_ref, bucket, _, policy_text = create(
        client, ref, profile, s3, filters=[{"name": "REF", "operator": "EQUAL_TO", "value": position.ref}]
    )
    client.data(UPDATE_FEED, input={"ref": feed_ref, "status": "ACTIVE"})
    wait_runs(client, feed_ref, 1, budget(profile, 1))
    forwarded(client, ref, [position.record(2)], profile.primary_retailer)
    for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=bucket)
    runs = wait_runs(client, feed_ref, 2, budget(profile, 2))
    failed = [r for r in runs if r["status"] == "FAILED"]
    assert failed and failed[0]["errorMessage"]
    new_bucket(s3, bucket, profile.s3_region)
    s3.put_bucket_policy(Bucket=bucket, Policy=policy_text)
    done_before = len([r for r in feed_runs(client, feed_ref) if r["status"] in ("SUCCESS", "FAILED")])
    runs = wait_runs(client, feed_ref, done_before + 1, budget(profile, 2))
    caught_up = [r for r in runs if r["status"] == "SUCCESS"][-1]
    assert [(r["ref"], r["quantity"]) for r in read_export(s3, caught_up["fileLocation"])] == [(position.ref, 2)]
    client.data(UPDATE_FEED, input={"ref": feed_ref, "status": profile.value("feed.inactive_status")})
