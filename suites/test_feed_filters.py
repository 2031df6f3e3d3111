"""Inventory feed filter semantics (group feed-filters).

Every case is a feed; they are all created and switched on together, so one schedule interval
serves them all. The virtual catalogues and positions the VIRTUAL_* cases export are this module's
own, made through createVirtualCatalogue / createVirtualPosition with every status a position takes.
Each export is compared with the check's own reading of SPEC 9.3 applied to the
entities read over GraphQL: AND across filters, OR within IN / NOT_IN, exact matches. Every case
is scoped to this module's own catalogues or refs, so the entities read back are only those.
"""

import hashlib
import os

import pytest

from invharness.generators import payloads
from invharness.suites.client import StepFailed
from invharness.suites.helpers import CREATE_FEED, exported_by_hand, s3_client
from invharness.suites.inventory_writes import make_virtual_catalogue, make_virtual_position
from invharness.suites.readback import (
    export_rows,
    finished,
    load,
    make_feed,
    pages,
    set_feed_status,
    step_data,
    wait_for_runs,
)

pytestmark = [pytest.mark.requires("feeds"), pytest.mark.xdist_group("feed-filters")]  # one module fixture

POSITIONS = """query($cat: InventoryCatalogueKey, $after: String) { inventoryPositions(catalogue: $cat, first: 100,
    after: $after) { edges { cursor node { ref type status catalogue { ref } } } pageInfo { hasNextPage } } }"""
VIRTUAL = """query($cat: String!, $after: String) {
    virtualPositions(catalogue: {ref: $cat}, first: 100, after: $after) {
    edges { cursor node { ref type status catalogue { ref } } } pageInfo { hasNextPage } } }"""
VIRTUAL_CATALOGUES = """query($refs: [String!]) { virtualCatalogues(ref: $refs, first: 10) {
    edges { node { ref type status } } } }"""
CATALOGUES = """query($refs: [String!]) { inventoryCatalogues(ref: $refs, first: 500) {
    edges { node { ref type status } } } }"""


def cases(tag, retailer):
    """(id, clauses, source, filters) - every operator on every filter, alone and together."""
    a, b = f"{tag}A:{retailer}", f"{tag}B:{retailer}"
    ta, tb = f"{tag}A", f"{tag}B"
    va, vb = virtual_catalogues(tag, retailer)
    f = payloads.feed_filter
    return [
        (
            "F4",
            ["FEED-FLT-01", "FEED-FLT-02"],
            "INVENTORY_POSITION",
            [f("STATUS", "EQUAL_TO", "ACTIVE"), f("CATALOGUE_REF", "IN", [a, f"{tag}Z:67"])],
        ),
        (
            "F6",
            ["FEED-FLT-03"],
            "INVENTORY_POSITION",
            [f("CATALOGUE_REF", "IN", [a]), f("REF", "NOT_IN", [f"{tag}-P1:L1:{ta}", f"{tag}-P2:L2:{ta}"])],
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
        ("ref-eq", ["FEED-FLT-04"], "INVENTORY_POSITION", [f("REF", "EQUAL_TO", f"{tag}-P3:L1:{tb}")]),
        ("ref-eq-prefix", ["FEED-FLT-04"], "INVENTORY_POSITION", [f("REF", "EQUAL_TO", f"{tag}-P1:L1:{tag}")]),
        ("ref-in-case", ["FEED-FLT-02"], "INVENTORY_POSITION", [f("REF", "IN", [f"{tag}-P1:L1:{ta}".lower()])]),
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
                f("REF", "NOT_IN", [f"{tag}-P2:L2:{tb}"]),
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
            [f("STATUS", "EQUAL_TO", "AT_RISK"), f("CATALOGUE_REF", "IN", [va, vb])],
        ),
        (
            "vp-not-out-of-stock",
            ["FEED-FLT-03"],
            "VIRTUAL_POSITION",
            [f("CATALOGUE_REF", "EQUAL_TO", va), f("STATUS", "NOT_IN", ["OUT_OF_STOCK"])],
        ),
        (
            "vc-type",
            ["FEED-FLT-01", "FEED-FLT-04"],
            "VIRTUAL_CATALOGUE",
            [f("REF", "IN", [va, vb]), f("TYPE", "EQUAL_TO", "AGGREGATE")],
        ),
        (
            "vc-status-ne",
            ["FEED-FLT-04"],
            "VIRTUAL_CATALOGUE",
            [f("CATALOGUE_REF", "IN", [va, vb]), f("STATUS", "NOT_EQUAL_TO", "ACTIVE")],
        ),
        ("F7", ["FEED-FLT-05"], "INVENTORY_CATALOGUE", None),
    ]


def virtual_catalogues(tag, retailer):
    """This module's own virtual catalogues: one BASE (INACTIVE), one AGGREGATE (ACTIVE)."""
    return f"{tag}VA:{retailer}", f"{tag}VB:{retailer}"


# (catalogue index, product, group, quantity, status): every status a virtual position takes, in both catalogues
VIRTUAL_POSITIONS = (
    (0, "V0", "L0", 4, "ACTIVE"),
    (0, "V1", "L1", 0, "OUT_OF_STOCK"),
    (0, "V2", "L2", 9, "AT_RISK"),
    (1, "V3", "L3", 1, "AT_RISK"),
    (1, "V4", "L4", 2, None),  # left as created
)


def _make_virtual(client, tag, retailer):
    """The virtual catalogues and positions the VIRTUAL_* cases export, made through the mutations
    (GQL-VCAT-01, GQL-VPOS-01), not whatever the target derives from its inventory."""
    catalogues = virtual_catalogues(tag, retailer)
    make_virtual_catalogue(client, catalogues[0], "BASE", retailer, status="INACTIVE")
    make_virtual_catalogue(client, catalogues[1], "AGGREGATE", retailer, status="ACTIVE")
    for index, product, group, quantity, status in VIRTUAL_POSITIONS:
        make_virtual_position(client, catalogues[index], f"{tag}-{product}", group, quantity, status)


def _tag(run_id, request):
    """This fixture instance's prefix: from the run id, stable for a replay, and apart for each process
    (two xdist workers, or a module fixture made twice, never share a feed or a catalogue)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    _INSTANCES[worker] = _INSTANCES.get(worker, 0) + 1
    seed = f"{run_id}|{request.node.nodeid}|{worker}|{_INSTANCES[worker]}"
    return f"{run_id}{hashlib.sha256(seed.encode()).hexdigest()[:6]}"


_INSTANCES: dict[str, int] = {}


@pytest.fixture(scope="module")
def exports(session_client, profile, run_id, request):
    """Load two catalogues of this module's own, create one feed per case, switch them all on, wait
    for each one's first run; (tag, the run of each case with its rows, this module's entities)."""
    client = session_client
    every = float(profile.value("feed.default_interval_s"))
    if every > 60:
        pytest.skip(f"unsupported: a {every:.0f}s schedule exceeds the filter checks' budget")
    tag = _tag(run_id, request)
    retailer = profile.primary_retailer
    refs = lambda kind: f"{tag}-{kind}"  # noqa: E731 - one job / event name per load below
    for catalogue, quantities in ((f"{tag}A:{retailer}", (3, 0, 5)), (f"{tag}B:{retailer}", (0, 7, 2))):
        records = [payloads.record(f"{tag}-P{i + 1}", f"L{1 + i % 2}", q, retailer) for i, q in enumerate(quantities)]
        load(client, lambda kind, c=catalogue: refs(f"{kind}-{c}"), records, retailer, catalogue_ref=catalogue)
    _make_virtual(client, tag, retailer)
    s3 = s3_client(profile)
    feeds = {}
    try:
        for case_id, _, source, filters in cases(tag, retailer):
            feed = make_feed(client, s3, profile, f"{tag}-{case_id}", f"{tag}-{case_id}".lower()[:60], source, filters)
            set_feed_status(client, feed.ref, "ACTIVE", "FEED-ACT-03")
            feeds[case_id] = feed
        exported = {}
        for case_id, feed in feeds.items():
            try:
                first = finished(wait_for_runs(client, feed.ref, 1, every * 3 + 10))[0]
            except AssertionError as exc:
                raise StepFailed("FEED-SCHED-01", str(exc)) from None
            rows = export_rows(s3, first, feed.bucket, blame="FEED-OUT-01") if first["status"] == "SUCCESS" else []
            exported[case_id] = {**first, "rows": rows}
    finally:
        for feed in feeds.values():
            set_feed_status(client, feed.ref, profile.value("feed.inactive_status"), "FEED-ACT-04")
    return tag, exported, _entities(client, tag, retailer)


def _entities(client, tag, retailer):
    """The positions, virtual positions and catalogues this module created, read over GraphQL
    (scoped by its catalogues and products; paged with a limit and a cursor that must advance)."""

    def connection(query, field, what, **variables):
        def fetch(after):
            return step_data(client, "GQL-INV-01", what, query, after=after, **variables)[field]

        return [_flat(node) for node in pages(fetch, "GQL-PAGE-01", what)]

    positions = [
        p
        for catalogue in (f"{tag}A:{retailer}", f"{tag}B:{retailer}")
        for p in connection(
            POSITIONS, "inventoryPositions", f"inventoryPositions of {catalogue}", cat={"ref": catalogue}
        )
    ]
    ours = virtual_catalogues(tag, retailer)
    virtual = [p for c in ours for p in connection(VIRTUAL, "virtualPositions", f"virtualPositions of {c}", cat=c)]
    catalogues = step_data(
        client, "GQL-INV-01", "inventoryCatalogues", CATALOGUES, refs=[f"{tag}A:{retailer}", f"{tag}B:{retailer}"]
    )["inventoryCatalogues"]["edges"]
    virtual_catalogues_read = step_data(
        client, "GQL-VCAT-01", "virtualCatalogues", VIRTUAL_CATALOGUES, refs=list(ours)
    )["virtualCatalogues"]["edges"]
    return {
        "INVENTORY_POSITION": positions,
        "VIRTUAL_POSITION": virtual,
        "INVENTORY_CATALOGUE": [{**e["node"], "catalogueRef": e["node"]["ref"]} for e in catalogues],
        "VIRTUAL_CATALOGUE": [{**e["node"], "catalogueRef": e["node"]["ref"]} for e in virtual_catalogues_read],
    }


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
def test_a_filtered_export_holds_exactly_what_spec_9_3_says(exports, client, profile, case_id):
    tag, exported, entities = exports
    (_, _, source, filters) = next(c for c in cases(tag, profile.primary_retailer) if c[0] == case_id)
    run = exported[case_id]
    assert run["status"] == "SUCCESS", f"the run of feed {tag}-{case_id}: {run['status']} {run.get('errorMessage')}"
    got = sorted(r["ref"] for r in run["rows"])
    assert len(got) == len(set(got)), f"an entity exported twice: {got}"
    if source == "INVENTORY_CATALOGUE":
        ours = sorted(e["ref"] for e in entities[source])
        assert set(ours) <= set(got), f"this module's catalogues {ours} missing from an unfiltered export"
        known = step_data(client, "GQL-INV-01", "inventoryCatalogues", CATALOGUES, refs=got[:500])
        assert sorted(e["node"]["ref"] for e in known["inventoryCatalogues"]["edges"]) == got[:500], (
            "an unfiltered catalogue export holds refs that are no catalogue"
        )
        return
    expected = exported_by_hand(entities[source], filters)
    assert got == expected, f"exported refs vs SPEC 9.3 applied to filters {filters}"
    fields = {e["ref"]: (e["status"], e["catalogueRef"]) for e in entities[source]}
    rows = {r["ref"]: (r.get("status"), r.get("catalogueRef")) for r in run["rows"]}
    assert rows == {ref: fields[ref] for ref in got}, "(status, catalogueRef) of each exported row vs the entity"
    meant = ("F4", "F5", "F6", "three-anded", "status-in-many", "type-eq", "ref-eq", "vp-not-out-of-stock", "vc-type")
    if case_id in (*meant, "vc-status-ne"):
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
