"""SPEC §12.7 (F1-F9): inventory feeds over GraphQL, with destinations in a local S3 (moto)."""

import io
import json
import time

import boto3
import pyarrow.parquet as pq
import pytest

from invharness.generators import payloads
from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from invharness.reference_impl.services.feeds import FEED_PRINCIPAL
from invharness.suites.helpers import exported_by_hand
from tests.support import Api, record, unique

CREATE = """mutation($input: CreateInventoryFeedInput) { createInventoryFeed(input: $input) {
    ref status dataFormat source { type filters { name operator value } }
    destination { type destinationAttributes { key value } } attributes { name value } } }"""
UPDATE = """mutation($input: UpdateInventoryFeedInput) { updateInventoryFeed(input: $input) { ref status } }"""
RUNS = """query($feed: String!) { inventoryFeedRuns(feed: {ref: $feed}) { edges { node {
    ref status runType recordCount errorMessage startedOn completedOn fileLocation feed { ref } } } } }"""


@pytest.fixture
def s3(local_s3):
    return boto3.client(
        "s3", endpoint_url=local_s3.url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )


def bucket(s3, region="us-east-1", policy=True, principal=FEED_PRINCIPAL):
    name = unique("dest-").lower()
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **extra)
    if policy:
        s3.put_bucket_policy(
            Bucket=name,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": principal},
                            "Action": "s3:PutObject",
                            "Resource": f"arn:aws:s3:::{name}/*",
                        }
                    ],
                }
            ),
        )
    return name


def feed_input(ref, source_type, bucket_name, filters=None):
    return payloads.feed_input(ref, source_type, bucket_name, filters=filters)


def activate(api, ref):
    return api.gql(UPDATE, input={"ref": ref, "status": "ACTIVE"})["updateInventoryFeed"]


def run_now(server, ref):
    feeds = server.backend.feeds
    run, rows = server.run_on_loop(lambda: feeds.start_run_all(feeds.feed(ref)))
    return feeds.finish_run(run, rows)


def exported(s3, run):
    bucket_name, _, key = run.file_location.removeprefix("s3://").partition("/")
    return pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket_name, Key=key)["Body"].read())).to_pylist()


def test_f1_create_answers_created_and_the_bucket_policy(api, s3):
    name = bucket(s3, policy=False)
    ref = unique("feed-")
    created = api.gql(
        CREATE,
        input=feed_input(
            ref, "INVENTORY_POSITION", name, [{"name": "STATUS", "operator": "EQUAL_TO", "value": "ACTIVE"}]
        ),
    )["createInventoryFeed"]
    assert created["status"] == "CREATED" and created["dataFormat"] == "PARQUET"
    assert created["source"]["filters"] == [{"name": "STATUS", "operator": "EQUAL_TO", "value": "ACTIVE"}]
    (policy,) = [a["value"] for a in created["attributes"] if a["name"] == "S3_BUCKET_POLICY"]
    statement = json.loads(policy)["Statement"][0]
    assert statement["Principal"]["AWS"] == FEED_PRINCIPAL and statement["Resource"] == f"arn:aws:s3:::{name}/*"
    # installing exactly the answered policy is enough to activate
    s3.put_bucket_policy(Bucket=name, Policy=policy)
    assert activate(api, ref)["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("filters", "why"),
    [
        ([{"name": "STATUS", "operator": "EQUAL_TO", "value": ["ACTIVE", "CREATED"]}], "value"),
        ([{"name": "STATUS", "operator": "IN", "value": "ACTIVE"}], "value"),
        ([{"name": "REF", "operator": "NOT_IN", "value": []}], "value"),
    ],
)
def test_invalid_filter_shapes_are_refused_and_nothing_saved(api, s3, filters, why):
    ref = unique("feed-")
    errors = api.gql_errors(CREATE, input=feed_input(ref, "INVENTORY_POSITION", bucket(s3), filters))
    assert why in errors[0]["message"]
    assert api.gql("""query($r: String!) { inventoryFeed(ref: $r) { ref } }""", r=ref)["inventoryFeed"] is None


def test_duplicate_ref_is_refused(api, s3):
    ref = unique("feed-")
    api.gql(CREATE, input=feed_input(ref, "INVENTORY_CATALOGUE", bucket(s3)))
    assert (
        "already exists"
        in api.gql_errors(CREATE, input=feed_input(ref, "INVENTORY_CATALOGUE", bucket(s3)))[0]["message"]
    )


def test_f2_destination_in_another_region(api, s3):
    ref = unique("feed-")
    api.gql(CREATE, input=feed_input(ref, "INVENTORY_POSITION", bucket(s3, region="eu-west-1")))
    message = api.gql_errors(UPDATE, input={"ref": ref, "status": "ACTIVE"})[0]["message"]
    assert "IllegalLocationConstraintException" in message and "eu-west-1" in message
    assert api.gql("""query($r: String!) { inventoryFeed(ref: $r) { status } }""", r=ref)["inventoryFeed"] == {
        "status": "CREATED"
    }


@pytest.mark.parametrize(
    ("make_bucket", "says"),
    [
        (lambda s3: bucket(s3, policy=False), "no bucket policy"),
        (lambda s3: bucket(s3, principal="arn:aws:iam::1:role/someone-else"), "does not allow"),
        (lambda s3: "no-such-bucket-anywhere", "does not exist"),
    ],
)
def test_f3_activation_explains_what_is_missing(api, s3, make_bucket, says):
    ref = unique("feed-")
    api.gql(CREATE, input=feed_input(ref, "INVENTORY_POSITION", make_bucket(s3)))
    assert says in api.gql_errors(UPDATE, input={"ref": ref, "status": "ACTIVE"})[0]["message"]


def test_activate_deactivate_and_back(api, s3):
    ref = unique("feed-")
    api.gql(CREATE, input=feed_input(ref, "VIRTUAL_POSITION", bucket(s3)))
    assert activate(api, ref)["status"] == "ACTIVE"
    assert api.gql(UPDATE, input={"ref": ref, "status": "INACTIVE"})["updateInventoryFeed"]["status"] == "INACTIVE"
    assert activate(api, ref)["status"] == "ACTIVE"
    assert "ACTIVE or INACTIVE" in api.gql_errors(UPDATE, input={"ref": ref, "status": "PAUSED"})[0]["message"]


def test_runs_full_then_incremental_are_tracked_one_by_one(api, server, s3):
    sku = unique("FR")
    api.run_batch([record(sku, 5), record(sku, 7, loc="LOC2")])
    ref = unique("feed-")
    api.gql(
        CREATE,
        input=feed_input(
            ref,
            "INVENTORY_POSITION",
            bucket(s3),
            [{"name": "REF", "operator": "IN", "value": [f"{sku}:LOC1:DEFAULT", f"{sku}:LOC2:DEFAULT"]}],
        ),
    )
    activate(api, ref)
    first = run_now(server, ref)
    assert (first.status, first.run_type, first.record_count) == ("SUCCESS", "FULL", 2)
    rows = exported(s3, first)
    assert sorted((r["ref"], r["quantity"], r["catalogueRef"]) for r in rows) == [
        (f"{sku}:LOC1:DEFAULT", 5, "DEFAULT:1"),
        (f"{sku}:LOC2:DEFAULT", 7, "DEFAULT:1"),
    ]
    server.backend.clock.advance(1)
    api.run_batch([record(sku, 9)])
    second = run_now(server, ref)
    assert (second.run_type, [r["ref"] for r in exported(s3, second)]) == ("INCREMENTAL", [f"{sku}:LOC1:DEFAULT"])
    runs = [e["node"] for e in api.gql(RUNS, feed=ref)["inventoryFeedRuns"]["edges"]]
    assert [(r["ref"], r["runType"], r["status"]) for r in runs] == [
        (first.ref, "FULL", "SUCCESS"),
        (second.ref, "INCREMENTAL", "SUCCESS"),
    ]
    assert runs[0]["fileLocation"].startswith("s3://") and runs[0]["feed"] == {"ref": ref}
    one = api.gql("""query($r: String!) { inventoryFeedRun(ref: $r) { ref recordCount } }""", r=second.ref)
    assert one["inventoryFeedRun"] == {"ref": second.ref, "recordCount": 1}


def test_f9_a_failed_run_says_why_and_the_next_catches_up(api, server, s3):
    sku = unique("F9")
    api.run_batch([record(sku, 1)])
    name = bucket(s3)
    ref = unique("feed-")
    api.gql(
        CREATE,
        input=feed_input(
            ref, "INVENTORY_POSITION", name, [{"name": "REF", "operator": "EQUAL_TO", "value": f"{sku}:LOC1:DEFAULT"}]
        ),
    )
    activate(api, ref)
    assert run_now(server, ref).status == "SUCCESS"
    server.backend.clock.advance(1)
    api.run_batch([record(sku, 2)])
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)  # the destination changed under the feed
    failed = run_now(server, ref)
    assert failed.status == "FAILED" and name in failed.error_message
    s3.create_bucket(Bucket=name)
    server.backend.clock.advance(1)
    caught_up = run_now(server, ref)
    assert caught_up.status == "SUCCESS" and caught_up.run_type == "INCREMENTAL"
    assert [(r["ref"], r["quantity"]) for r in exported(s3, caught_up)] == [(f"{sku}:LOC1:DEFAULT", 2)]


def test_f8_an_active_feed_runs_on_its_own(local_s3, s3):
    config = ServerConfig(processing_window_s=0, s3_endpoint=local_s3.url, feed_interval_s=1)
    with EmbeddedServer(config) as server:
        api = Api(server)
        ref = unique("feed-")
        api.gql(CREATE, input=feed_input(ref, "INVENTORY_CATALOGUE", bucket(s3)))
        activate(api, ref)
        deadline = time.monotonic() + 15
        runs = []
        while time.monotonic() < deadline:
            runs = api.gql(RUNS, feed=ref)["inventoryFeedRuns"]["edges"]
            if len([e for e in runs if e["node"]["status"] in ("SUCCESS", "FAILED")]) >= 2:
                break
            time.sleep(0.2)
        assert [e["node"]["status"] for e in runs[:2]] == ["SUCCESS", "SUCCESS"]
        assert [e["node"]["runType"] for e in runs[:2]] == ["FULL", "INCREMENTAL"]


# ---------------------------------------------------------------- filters (F4-F7 and combinations)

POSITIONS = """query { inventoryPositions(first: 500) { edges { node { ref type status catalogue { ref } } } } }"""
VIRTUALS = """query { virtualPositions(first: 500) { edges { node { ref type status catalogue { ref } } } } }"""


@pytest.fixture(scope="module")
def filter_world(local_s3):
    """One server with positions in DEFAULT:1, DEFAULT:2 and FUTURE:1, ACTIVE and OUT_OF_STOCK."""
    config = ServerConfig(processing_window_s=0, s3_endpoint=local_s3.url, feed_interval_s=3600)
    with EmbeddedServer(config) as server:
        api = Api(server)
        api.run_batch([record("FA", 3), record("FB", 0), record("FC", 8, loc="LOC2")])
        api.run_batch([record("FA", 4, type="FUTURE")], catalogueRef="FUTURE:1")
        api.run_batch([record("FD", 6, retailerId=2), record("FE", 0, retailerId=2)], job_id=api.job(retailer="2"))
        yield server, api


def _entities(api, query, field):
    return [
        {
            "ref": e["node"]["ref"],
            "type": e["node"]["type"],
            "status": e["node"]["status"],
            "catalogueRef": e["node"]["catalogue"]["ref"],
        }
        for e in api.gql(query)[field]["edges"]
    ]


FILTER_CASES = [
    (
        "F4",
        "INVENTORY_POSITION",
        [
            {"name": "STATUS", "operator": "EQUAL_TO", "value": "ACTIVE"},
            {"name": "CATALOGUE_REF", "operator": "IN", "value": ["DEFAULT:1", "DEFAULT:67"]},
        ],
    ),
    (
        "F5",
        "VIRTUAL_POSITION",
        [
            {"name": "STATUS", "operator": "EQUAL_TO", "value": "AT_RISK"},
            {"name": "CATALOGUE_REF", "operator": "IN", "value": ["BASE:1", "AGGREGATE:1"]},
        ],
    ),
    (
        "F5-active",
        "VIRTUAL_POSITION",
        [
            {"name": "STATUS", "operator": "EQUAL_TO", "value": "ACTIVE"},
            {"name": "CATALOGUE_REF", "operator": "IN", "value": ["BASE:1", "AGGREGATE:1"]},
        ],
    ),
    (
        "F6",
        "INVENTORY_POSITION",
        [{"name": "REF", "operator": "NOT_IN", "value": ["FA:LOC1:DEFAULT", "FB:LOC1:DEFAULT"]}],
    ),
    ("F7", "INVENTORY_POSITION", None),
    ("F7-virtual", "VIRTUAL_POSITION", []),
    ("TYPE-eq", "INVENTORY_POSITION", [{"name": "TYPE", "operator": "EQUAL_TO", "value": "FUTURE"}]),
    ("TYPE-ne", "INVENTORY_POSITION", [{"name": "TYPE", "operator": "NOT_EQUAL_TO", "value": "FUTURE"}]),
    ("TYPE-in-one", "INVENTORY_POSITION", [{"name": "TYPE", "operator": "IN", "value": ["DEFAULT"]}]),
    ("TYPE-not-in", "INVENTORY_POSITION", [{"name": "TYPE", "operator": "NOT_IN", "value": ["DEFAULT", "FUTURE"]}]),
    (
        "STATUS-in-many",
        "INVENTORY_POSITION",
        [{"name": "STATUS", "operator": "IN", "value": ["OUT_OF_STOCK", "ACTIVE", "NOPE"]}],
    ),
    ("STATUS-ne", "INVENTORY_POSITION", [{"name": "STATUS", "operator": "NOT_EQUAL_TO", "value": "ACTIVE"}]),
    ("STATUS-not-in-one", "VIRTUAL_POSITION", [{"name": "STATUS", "operator": "NOT_IN", "value": ["ACTIVE"]}]),
    ("REF-eq", "INVENTORY_POSITION", [{"name": "REF", "operator": "EQUAL_TO", "value": "FC:LOC2:DEFAULT"}]),
    ("REF-ne", "VIRTUAL_POSITION", [{"name": "REF", "operator": "NOT_EQUAL_TO", "value": "FA:LOC1"}]),
    ("REF-in-case", "INVENTORY_POSITION", [{"name": "REF", "operator": "IN", "value": ["fa:loc1:default"]}]),
    ("CAT-eq", "INVENTORY_POSITION", [{"name": "CATALOGUE_REF", "operator": "EQUAL_TO", "value": "DEFAULT:2"}]),
    ("CAT-ne", "VIRTUAL_POSITION", [{"name": "CATALOGUE_REF", "operator": "NOT_EQUAL_TO", "value": "BASE:1"}]),
    (
        "CAT-not-in",
        "INVENTORY_POSITION",
        [{"name": "CATALOGUE_REF", "operator": "NOT_IN", "value": ["DEFAULT:1", "DEFAULT:2"]}],
    ),
    (
        "three-ANDed",
        "INVENTORY_POSITION",
        [
            {"name": "CATALOGUE_REF", "operator": "IN", "value": ["DEFAULT:1", "DEFAULT:2"]},
            {"name": "STATUS", "operator": "NOT_EQUAL_TO", "value": "OUT_OF_STOCK"},
            {"name": "REF", "operator": "NOT_IN", "value": ["FC:LOC2:DEFAULT"]},
        ],
    ),
    (
        "contradiction",
        "INVENTORY_POSITION",
        [
            {"name": "STATUS", "operator": "EQUAL_TO", "value": "ACTIVE"},
            {"name": "STATUS", "operator": "EQUAL_TO", "value": "OUT_OF_STOCK"},
        ],
    ),
]


@pytest.mark.parametrize(("case", "source_type", "filters"), FILTER_CASES, ids=[c[0] for c in FILTER_CASES])
def test_filters_export_exactly_what_spec_9_3_says(filter_world, s3, case, source_type, filters):
    server, api = filter_world
    query, field = (
        (POSITIONS, "inventoryPositions") if source_type == "INVENTORY_POSITION" else (VIRTUALS, "virtualPositions")
    )
    entities = _entities(api, query, field)
    ref = unique("feed-")
    api.gql(CREATE, input=feed_input(ref, source_type, bucket(s3), filters))
    activate(api, ref)
    run = run_now(server, ref)
    assert run.status == "SUCCESS", run.error_message
    got = sorted(r["ref"] for r in exported(s3, run))
    assert got == exported_by_hand(entities, filters)
    if case in ("F4", "F6", "three-ANDed", "STATUS-in-many"):
        assert got, "a meaningful case exports something"


def test_catalogue_sources_export_every_catalogue(filter_world, s3):
    server, api = filter_world
    for source_type, expected in (
        ("INVENTORY_CATALOGUE", ["DEFAULT:1", "DEFAULT:2", "FUTURE:1"]),
        ("VIRTUAL_CATALOGUE", ["BASE:1", "BASE:2"]),
    ):
        ref = unique("feed-")
        api.gql(CREATE, input=feed_input(ref, source_type, bucket(s3)))
        activate(api, ref)
        assert sorted(r["ref"] for r in exported(s3, run_now(server, ref))) == expected


def test_feeds_list_and_a_feeds_runs_newest_first(api, server, s3):
    ref = unique("feed-")
    api.gql(CREATE, input=feed_input(ref, "INVENTORY_CATALOGUE", bucket(s3)))
    activate(api, ref)
    first, second = run_now(server, ref), run_now(server, ref)
    data = api.gql(
        """query($r: [String!]) { inventoryFeeds(ref: $r) { edges { node {
        ref status runs(first: 5) { edges { node { ref runType } } } } } } }""",
        r=[ref],
    )
    (node,) = [e["node"] for e in data["inventoryFeeds"]["edges"]]
    assert node["status"] == "ACTIVE"
    assert [e["node"]["ref"] for e in node["runs"]["edges"]] == [second.ref, first.ref]


def test_retailer_users_may_not_manage_feeds(server, s3):
    other = Api(server, "retailer2")
    errors = other.gql_errors(CREATE, input=feed_input(unique("feed-"), "INVENTORY_CATALOGUE", bucket(s3)))
    assert "may not manage inventory feeds" in errors[0]["message"]


def test_a_default_typed_catalogue_of_another_ref_has_no_virtual_catalogue(api, server, s3):
    # DEFAULT:abc:1 is retailer 1's, of type DEFAULT, but not DEFAULT:<retailerId>: BASE:1 derives from DEFAULT:1 only
    sku = unique("VX")
    api.run_batch([record(sku, 4)])
    api.run_batch([record(sku, 6)], catalogueRef="DEFAULT:abc:1")
    listed = api.gql("{ virtualCatalogues { edges { node { ref } } } }")["virtualCatalogues"]["edges"]
    assert [e["node"]["ref"] for e in listed] == ["BASE:1"]
    for source_type, expected in (("VIRTUAL_POSITION", [f"{sku}:LOC1"]), ("VIRTUAL_CATALOGUE", ["BASE:1"])):
        ref = unique("feed-")
        filters = [{"name": "REF", "operator": "IN", "value": expected}]
        api.gql(CREATE, input=feed_input(ref, source_type, bucket(s3), filters))
        activate(api, ref)
        run = run_now(server, ref)
        assert run.status == "SUCCESS", run.error_message
        assert [(r["ref"], r["quantity"]) for r in exported(s3, run)] == [
            (e, 4 if source_type == "VIRTUAL_POSITION" else None) for e in expected
        ]


def test_a_run_that_breaks_fails_alone_and_the_schedule_goes_on(local_s3, s3, monkeypatch, caplog):
    import invharness.reference_impl.services.feed_filters as feed_filters

    def broken(source_type, entity):
        raise RuntimeError("row building broke")

    config = ServerConfig(processing_window_s=0, s3_endpoint=local_s3.url, feed_interval_s=1)
    with EmbeddedServer(config) as server:
        api = Api(server)
        ref = unique("feed-")
        api.gql(CREATE, input=feed_input(ref, "INVENTORY_CATALOGUE", bucket(s3)))
        api.run_batch([record(unique("B"), 1)])
        monkeypatch.setattr(feed_filters, "_row", broken)
        activate(api, ref)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not [
            e for e in api.gql(RUNS, feed=ref)["inventoryFeedRuns"]["edges"] if e["node"]["status"] == "FAILED"
        ]:
            time.sleep(0.2)
        monkeypatch.undo()
        while time.monotonic() < deadline and not [
            e for e in api.gql(RUNS, feed=ref)["inventoryFeedRuns"]["edges"] if e["node"]["status"] == "SUCCESS"
        ]:
            time.sleep(0.2)
        runs = [e["node"] for e in api.gql(RUNS, feed=ref)["inventoryFeedRuns"]["edges"]]
    failed = [r for r in runs if r["status"] == "FAILED"]
    assert failed and "row building broke" in failed[0]["errorMessage"]
    assert any(r["status"] == "SUCCESS" for r in runs), "the scheduler survived the broken run"


def test_created_virtual_inventory_and_inactive_positions_are_exported_as_stored(api, server, s3):
    # issue 10: virtual catalogues and positions a client made are exported beside the derived ones, and an
    # INACTIVE position (H7) is exported INACTIVE, its BASE virtual position with 0
    catalogue, sku = unique("VC") + ":1", unique("VS")
    virtual = {"type": "BASE", "name": "n", "inventoryCatalogueRef": "DEFAULT:1", "productCatalogueRef": "PC:1"}
    api.gql(
        "mutation($i: CreateVirtualCatalogueInput) { createVirtualCatalogue(input: $i) { ref } }",
        i={"ref": catalogue, **virtual},
    )
    made = {"ref": f"{sku}:L9", "catalogue": {"ref": catalogue}, "type": "BASE", "productRef": sku, "quantity": 5}
    api.gql("mutation($i: CreateVirtualPositionInput) { createVirtualPosition(input: $i) { ref } }", i=made)
    api.run_batch([record(sku, 4)])
    api.gql(
        "mutation($i: UpdateInventoryPositionInput) { updateInventoryPosition(input: $i) { ref } }",
        i={"ref": f"{sku}:LOC1:DEFAULT", "catalogue": {"ref": "DEFAULT:1"}, "status": "INACTIVE"},
    )
    cases = (
        ("VIRTUAL_CATALOGUE", [catalogue], [(catalogue, "CREATED", None)]),
        ("VIRTUAL_POSITION", [catalogue, "BASE:1"], [(f"{sku}:L9", "CREATED", 5), (f"{sku}:LOC1", "OUT_OF_STOCK", 0)]),
        ("INVENTORY_POSITION", ["DEFAULT:1"], [(f"{sku}:LOC1:DEFAULT", "INACTIVE", 4)]),
    )
    for source_type, catalogues, expected in cases:
        ref = unique("feed-")
        filters = [{"name": "CATALOGUE_REF", "operator": "IN", "value": catalogues}]
        if source_type != "VIRTUAL_CATALOGUE":
            filters.append({"name": "REF", "operator": "IN", "value": [e[0] for e in expected]})
        api.gql(CREATE, input=feed_input(ref, source_type, bucket(s3), filters))
        activate(api, ref)
        run = run_now(server, ref)
        assert run.status == "SUCCESS", run.error_message
        assert sorted((r["ref"], r["status"], r["quantity"]) for r in exported(s3, run)) == sorted(expected), (
            source_type
        )
