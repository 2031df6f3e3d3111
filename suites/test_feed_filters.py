"""Inventory feed filter semantics (group feed-filters).

Every case is a feed; they are all created and switched on together, so one schedule interval
serves them all. Each export is compared with the check's own reading of SPEC 9.3 applied to the
entities read over GraphQL: AND across filters, OR within IN / NOT_IN, exact matches.
"""

import pytest

from invharness.generators import payloads
from invharness.suites.helpers import (
    CREATE_FEED,
    UPDATE_FEED,
    bpp_pinned_on,
    create_feed,
    exported_by_hand,
    forwarded,
    read_export,
    s3_client,
    wait_runs,
)

pytestmark = [pytest.mark.requires("feeds"), pytest.mark.xdist_group("feed-filters")]  # one module fixture

POSITIONS = """query($cat: InventoryCatalogueKey, $after: String) { inventoryPositions(catalogue: $cat, first: 500,
    after: $after) { edges { cursor node { ref type status catalogue { ref } } } pageInfo { hasNextPage } } }"""


def cases(run_id, retailer):
    """(id, clauses, source, filters) - every operator on every filter, alone and together."""
    a, b, base = f"{run_id}A:{retailer}", f"{run_id}B:{retailer}", f"BASE:{retailer}"
    ta, tb = f"{run_id}A", f"{run_id}B"
    f = payloads.feed_filter
    # virtual positions come from DEFAULT:<retailer>, which other checks write to at the same time:
    # these cases look at this run's own virtual positions only
    ours = f("REF", "IN", [f"{run_id}-V{i}:L{i}" for i in range(4)])
    return [
        (
            "F4",
            ["FEED-FLT-01", "FEED-FLT-02"],
            "INVENTORY_POSITION",
            [f("STATUS", "EQUAL_TO", "ACTIVE"), f("CATALOGUE_REF", "IN", [a, f"{run_id}Z:67"])],
        ),
        (
            "F6",
            ["FEED-FLT-03"],
            "INVENTORY_POSITION",
            [f("CATALOGUE_REF", "IN", [a]), f("REF", "NOT_IN", [f"{run_id}-P1:L1:{ta}", f"{run_id}-P2:L2:{ta}"])],
        ),
        ("type-eq", ["FEED-FLT-04"], "INVENTORY_POSITION", [f("TYPE", "EQUAL_TO", tb)]),
        (
            "type-ne",
            ["FEED-FLT-04"],
            "INVENTORY_POSITION",
            [f("CATALOGUE_REF", "IN", [a, b]), f("TYPE", "NOT_EQUAL_TO", tb)],
        ),
        ("type-in-one", ["FEED-FLT-02"], "INVENTORY_POSITION", [f("TYPE", "IN", [ta])]),
        (
            "type-not-in",
            ["FEED-FLT-03"],
            "INVENTORY_POSITION",
            [f("CATALOGUE_REF", "IN", [a, b]), f("TYPE", "NOT_IN", [ta, tb])],
        ),
        (
            "status-in-many",
            ["FEED-FLT-02"],
            "INVENTORY_POSITION",
            [f("CATALOGUE_REF", "IN", [a, b]), f("STATUS", "IN", ["OUT_OF_STOCK", "ACTIVE", "NOPE"])],
        ),
        (
            "status-ne",
            ["FEED-FLT-04"],
            "INVENTORY_POSITION",
            [f("CATALOGUE_REF", "IN", [a, b]), f("STATUS", "NOT_EQUAL_TO", "ACTIVE")],
        ),
        ("ref-eq", ["FEED-FLT-04"], "INVENTORY_POSITION", [f("REF", "EQUAL_TO", f"{run_id}-P3:L1:{tb}")]),
        ("ref-in-case", ["FEED-FLT-02"], "INVENTORY_POSITION", [f("REF", "IN", [f"{run_id}-P1:L1:{ta}".lower()])]),
        ("catalogue-eq", ["FEED-FLT-04"], "INVENTORY_POSITION", [f("CATALOGUE_REF", "EQUAL_TO", b)]),
        (
            "catalogue-not-in",
            ["FEED-FLT-03"],
            "INVENTORY_POSITION",
            [f("TYPE", "IN", [ta, tb]), f("CATALOGUE_REF", "NOT_IN", [a])],
        ),
        (
            "three-anded",
            ["FEED-FLT-01"],
            "INVENTORY_POSITION",
            [
                f("CATALOGUE_REF", "IN", [a, b]),
                f("STATUS", "NOT_EQUAL_TO", "OUT_OF_STOCK"),
                f("REF", "NOT_IN", [f"{run_id}-P2:L2:{tb}"]),
            ],
        ),
        (
            "contradiction",
            ["FEED-FLT-01"],
            "INVENTORY_POSITION",
            [f("CATALOGUE_REF", "IN", [a]), f("STATUS", "EQUAL_TO", "ACTIVE"), f("STATUS", "EQUAL_TO", "OUT_OF_STOCK")],
        ),
        (
            "F5",
            ["FEED-FLT-01", "FEED-FLT-02"],
            "VIRTUAL_POSITION",
            [f("STATUS", "EQUAL_TO", "AT_RISK"), f("CATALOGUE_REF", "IN", [base, f"AGGREGATE:{retailer}"]), ours],
        ),
        (
            "vp-not-out-of-stock",
            ["FEED-FLT-03"],
            "VIRTUAL_POSITION",
            [f("CATALOGUE_REF", "EQUAL_TO", base), f("STATUS", "NOT_IN", ["OUT_OF_STOCK"]), ours],
        ),
        ("F7", ["FEED-FLT-05"], "INVENTORY_CATALOGUE", None),
    ]


@pytest.fixture(scope="module")
def exports(session_client, profile, run_id):
    """Load two catalogues of this run, create one feed per case, switch them all on, wait for runs."""
    client = session_client
    bpp_pinned_on(client, profile)
    retailer = profile.primary_retailer
    for catalogue, statuses in ((f"{run_id}A:{retailer}", (3, 0, 5)), (f"{run_id}B:{retailer}", (0, 7, 2))):
        records = [
            payloads.record(f"{run_id}-P{i + 1}", f"L{1 + i % 2}", qty, retailer) for i, qty in enumerate(statuses)
        ]
        forwarded(client, lambda kind: f"{run_id}-{kind}-filters", records, retailer, catalogue_ref=catalogue)
    virtual = [payloads.record(f"{run_id}-V{i}", f"L{i}", qty, retailer) for i, qty in enumerate((4, 0, 9, 0))]
    forwarded(client, lambda kind: f"{run_id}-{kind}-virtual", virtual, retailer)
    s3 = s3_client(profile)
    feeds = {}
    for case_id, _, source, filters in cases(run_id, retailer):
        feed_ref = f"{run_id}-filters-{case_id}"
        create_feed(client, s3, profile, feed_ref, f"{run_id}-{case_id}".lower()[:60], source, filters)
        client.data(UPDATE_FEED, input={"ref": feed_ref, "status": "ACTIVE"})
        feeds[case_id] = feed_ref
    interval = float(profile.value("feed.default_interval_s"))
    if interval > 60:
        pytest.skip(f"unsupported: a {interval:.0f}s schedule exceeds the filter checks' budget")
    exported = {}
    for case_id, feed_ref in feeds.items():
        first = wait_runs(client, feed_ref, 1, interval * 3 + 10)[0]
        client.data(UPDATE_FEED, input={"ref": feed_ref, "status": profile.value("feed.inactive_status")})
        exported[case_id] = (
            first if first["status"] != "SUCCESS" else {**first, "rows": read_export(s3, first["fileLocation"])}
        )
    return exported, _entities(client)


def _entities(client):
    """Every inventory position and virtual position and catalogue the target has, over GraphQL."""
    found = {"INVENTORY_POSITION": [], "VIRTUAL_POSITION": [], "INVENTORY_CATALOGUE": []}
    after = None
    while True:
        page = client.data(POSITIONS, cat=None, after=after)["inventoryPositions"]
        found["INVENTORY_POSITION"] += [_flat(e["node"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["edges"][-1]["cursor"]
    catalogues = client.data("{ inventoryCatalogues(first: 500) { edges { node { ref type status } } } }")
    found["INVENTORY_CATALOGUE"] = [
        {**e["node"], "catalogueRef": e["node"]["ref"]} for e in catalogues["inventoryCatalogues"]["edges"]
    ]
    after = None
    while True:
        page = client.data(
            """query($after: String) { virtualPositions(first: 500, after: $after) {
            edges { cursor node { ref type status catalogue { ref } } } pageInfo { hasNextPage } } }""",
            after=after,
        )["virtualPositions"]
        found["VIRTUAL_POSITION"] += [_flat(e["node"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["edges"][-1]["cursor"]
    return found


def _flat(node):
    return {
        "ref": node["ref"],
        "type": node["type"],
        "status": node["status"],
        "catalogueRef": node["catalogue"]["ref"],
    }


@pytest.mark.parametrize(
    "case_id", [pytest.param(c[0], marks=pytest.mark.clause(*c[1]), id=c[0]) for c in cases("x", 1)]
)
def test_a_filtered_export_holds_exactly_what_spec_9_3_says(exports, run_id, profile, case_id):
    exported, entities = exports
    (_, _, source, filters) = next(c for c in cases(run_id, profile.primary_retailer) if c[0] == case_id)
    run = exported[case_id]
    assert run["status"] == "SUCCESS", run.get("errorMessage")
    got = sorted(r["ref"] for r in run["rows"])
    expected = exported_by_hand(entities[source], filters)
    if source == "INVENTORY_CATALOGUE":
        # other checks may create a catalogue between the run and the read: ours must all be there
        assert {f"{run_id}A:{profile.primary_retailer}", f"{run_id}B:{profile.primary_retailer}"} <= set(got)
        assert set(got) <= set(expected)
    else:
        assert got == expected
    if case_id in ("F4", "F6", "three-anded", "status-in-many", "type-eq", "ref-eq", "F7", "vp-not-out-of-stock"):
        assert got, "a case meant to export something exported nothing"


@pytest.mark.clause("FEED-FLT-06")
@pytest.mark.parametrize(
    "bad",
    [
        {"name": "STATUS", "operator": "EQUAL_TO", "value": ["ACTIVE", "CREATED"]},
        {"name": "STATUS", "operator": "IN", "value": "ACTIVE"},
        {"name": "REF", "operator": "NOT_IN", "value": []},
    ],
    ids=["equal-to-a-list", "in-a-scalar", "not-in-empty"],
)
def test_a_filter_that_does_not_fit_its_operator_is_refused(client, ref, profile, bad):
    feed_ref = ref("feed")
    body = payloads.feed_input(feed_ref, "INVENTORY_POSITION", "any-bucket")
    body["source"]["filters"] = [bad]
    assert client.graphql(CREATE_FEED, input=body).get("errors")
    assert client.data("query($r: String!) { inventoryFeed(ref: $r) { ref } }", r=feed_ref)["inventoryFeed"] is None
