"""Retailer isolation (issue 15): each attack as retailer2 (a user of retailer 2) against what admin keeps
for retailer 1, reproduced over HTTP; and another retailer's resource answering like a missing one."""

import pytest

from invharness.reference_impl.services.access import catalogue_retailer
from tests.support import Api, record, unique

SETTINGS = """query($context: [String!]) { settings(context: $context, first: 100) {
    edges { node { id name context contextId value } } } }"""
CREATE_SETTING = """mutation($input: CreateSettingInput) { createSetting(input: $input) { id } }"""
UPDATE_SETTING = """mutation($input: UpdateSettingInput) { updateSetting(input: $input) { id value } }"""
# retailer2 tries to take retailer 1's setting over: its value and context
MOVE = {"valueType": "STRING", "value": "x", "context": "RETAILER", "contextId": 2}
CATALOGUE = """query($ref: String!) { inventoryCatalogue(ref: $ref) { ref } }"""


def batch_body(entities, **fields):
    return {"action": "UPSERT", "entityType": "INVENTORY", "entities": entities, **fields}


@pytest.fixture
def admin(server):
    return Api(server)


@pytest.fixture
def other(server):
    return Api(server, "retailer2")


@pytest.mark.parametrize(
    ("ref", "retailer"),
    [
        *[("DEFAULT:1", 1), ("FUTURE:12", 12), ("A:B:2", 2), ("DEFAULT:01", 1), ("R1ONLY:x", None), ("MYCAT", None)],
        *[("DEFAULT:\u00b2", None), ("DEFAULT:", None), ("DEFAULT:" + "9" * 40, None)],
    ],
)
def test_the_retailer_a_catalogue_ref_names(ref, retailer):
    assert catalogue_retailer(ref) == retailer


def test_a_retailer_cannot_write_another_retailers_stock(admin, other):
    sku = unique("ISO")
    admin.run_batch([record(sku, 5)], job_id=admin.job(retailer="1"))
    own_job = other.job(retailer="2")
    for catalogue in ("DEFAULT:1", "FUTURE:1"):
        answer = other.post(
            f"/api/v4.1/job/{own_job}/batch", batch_body([record(sku, 999999, retailerId=2)], catalogueRef=catalogue)
        )
        assert answer.status_code == 400, (catalogue, answer.text)
        assert "catalogue refs end in :<retailerId>" in answer.json()["errors"][0]["message"]
    assert other.get(f"/api/v4.1/job/{own_job}").json()["batch"] == [], "a refused batch was stored"
    assert admin.position(sku)["onHand"] == 5, "retailer 1's stock changed"
    assert admin.position(sku, catalogue="FUTURE:1") is None


def test_catalogue_squatting_is_refused(admin, other):
    sku = unique("SQ")
    own_job = other.job(retailer="2")
    for squatted in ("R1ONLY:x", "R1ONLY", "R1ONLY:1"):
        body = batch_body([record(sku, 1, retailerId=2)], catalogueRef=squatted)
        assert other.post(f"/api/v4.1/job/{own_job}/batch", body).status_code == 400, squatted
    # admin's records for retailer 1 land in a catalogue of retailer 1, which retailer2 cannot read
    admin.run_batch([record(sku, 4)], job_id=admin.job(retailer="1"), catalogueRef="R1ONLY:1")
    assert admin.gql(CATALOGUE, ref="R1ONLY:1")["inventoryCatalogue"] == {"ref": "R1ONLY:1"}
    assert other.gql(CATALOGUE, ref="R1ONLY:1")["inventoryCatalogue"] is None
    assert other.position(sku, catalogue="R1ONLY:1") is None
    # and a catalogue of retailer 2's own, named so, works as before
    other.run_batch([record(sku, 2, retailerId=2)], job_id=own_job, catalogueRef="R2ONLY:2")
    assert other.position(sku, catalogue="R2ONLY:2")["onHand"] == 2


def test_a_batch_of_a_job_of_retailer_1_cannot_name_retailer_2s_catalogue(admin):
    """The catalogue belongs to the job's retailer, even for a user who may act for both."""
    answer = admin.post(
        f"/api/v4.1/job/{admin.job(retailer='1')}/batch", batch_body([record("X", 1)], catalogueRef="DEFAULT:2")
    )
    assert answer.status_code == 400


def test_a_delta_into_another_retailers_catalogue_fails_like_a_missing_catalogue(admin, other):
    sku = unique("DL")
    admin.run_batch([record(sku, 5)], job_id=admin.job(retailer="1"))
    failed = {}
    for catalogue in ("DEFAULT:1", "NOSUCH:2"):
        event = {
            "name": "INVENTORY_DELTA",
            "retailerId": "2",
            "entityRef": catalogue,
            "entityType": "INVENTORY_CATALOGUE",
            "rootEntityType": "INVENTORY_CATALOGUE",
            "rootEntityRef": catalogue,
            "attributes": {"deltas": [{"productRef": sku, "locationRef": "LOC1", "qty": 999, "type": "DELTA"}]},
        }
        answer = other.post("/api/v4.1/event/sync", event)
        body = answer.json()
        failed[catalogue] = (answer.status_code, body["eventStatus"], body["errorMessage"].replace(catalogue, "<ref>"))
    assert failed["DEFAULT:1"] == failed["NOSUCH:2"] and failed["DEFAULT:1"][1] == "FAILED", failed
    assert admin.position(sku)["onHand"] == 5, "retailer 1's stock changed"


def test_settings_show_a_retailer_user_only_its_own_retailers(admin, other):
    name = unique("iso.setting")
    for context, context_id, who in (("ACCOUNT", 0, admin), ("RETAILER", 1, admin), ("RETAILER", 2, other)):
        who.gql(
            CREATE_SETTING,
            input={"name": name, "valueType": "STRING", "value": "v", "context": context, "contextId": context_id},
        )
    seen = lambda api: sorted(  # noqa: E731
        (n["context"], n["contextId"])
        for e in api.gql(SETTINGS)["settings"]["edges"]
        if (n := e["node"])["name"] == name
    )
    assert seen(admin) == [("ACCOUNT", 0), ("RETAILER", 1), ("RETAILER", 2)]
    assert seen(other) == [("RETAILER", 2)]


def test_updating_another_retailers_setting_answers_like_a_missing_one(admin, other):
    name = unique("iso.update")
    created = admin.gql(
        CREATE_SETTING, input={"name": name, "valueType": "STRING", "value": "v", "context": "RETAILER", "contextId": 1}
    )["createSetting"]["id"]
    answers = {}
    for setting_id in (created, "999999"):
        errors = other.gql_errors(UPDATE_SETTING, input={**MOVE, "id": setting_id})
        answers[setting_id] = (errors[0]["message"].replace(setting_id, "<id>"), errors[0]["extensions"])
    assert answers[created] == answers["999999"], answers
    values = {n["node"]["id"]: n["node"]["value"] for n in admin.gql(SETTINGS)["settings"]["edges"]}
    assert values[created] == "v"


def test_another_retailers_job_batch_and_event_answer_like_missing_ones(admin, other):
    job_id = admin.job(retailer="1")
    batch_id = admin.batch(job_id, [record(unique("J"), 1)])
    event_id = admin.post("/api/v4.1/event/async", {"name": unique("E"), "retailerId": "1"}).json()["id"]
    cases = {
        "job": (f"/api/v4.1/job/{job_id}", "/api/v4.1/job/99999999", (job_id, "99999999")),
        "batch": (f"/api/v4.1/job/{job_id}/batch/{batch_id}", "/api/v4.1/job/99999999/batch/1", (job_id, "99999999")),
        "event": (f"/api/v4.1/event/{event_id}", f"/api/v4.1/event/{unique('none')}", None),
    }
    for what, (theirs, missing, ids) in cases.items():
        a, b = other.get(theirs), other.get(missing)
        assert a.status_code == b.status_code == 404, (what, a.text, b.text)
        if ids is None:
            ids = (theirs.rsplit("/", 1)[1], missing.rsplit("/", 1)[1])
        assert a.text.replace(ids[0], "<id>") == b.text.replace(ids[1], "<id>"), what
    post = other.post(f"/api/v4.1/job/{job_id}/batch", batch_body([record("X", 1, retailerId=2)]))
    assert post.status_code == 404 and admin.get(f"/api/v4.1/job/{job_id}").json()["batch"][0]["batchId"] == batch_id


def test_create_position_in_another_retailers_default_catalogue_answers_like_a_missing_one(admin, other):
    """Before DEFAULT:1 exists and after: the same refusal, so retailer 2 learns nothing of retailer 1."""
    create = """mutation($input: CreateInventoryPositionInput) { createInventoryPosition(input: $input) { ref } }"""

    def attempt() -> list:
        sku = unique("CP")
        position = {"ref": f"{sku}:L1:DEFAULT", "catalogue": {"ref": "DEFAULT:1"}, "type": "DEFAULT"}
        return other.gql_errors(create, input={**position, "productRef": sku, "locationRef": "L1"})

    before = attempt()
    admin.run_batch([record(unique("CP"), 1)], job_id=admin.job(retailer="1"))  # now DEFAULT:1 exists
    after = attempt()
    assert before and [e["message"] for e in before] == [e["message"] for e in after], (before, after)
    assert "no inventory catalogue DEFAULT:1" in before[0]["message"]


def test_a_virtual_catalogue_ref_naming_another_retailer_is_refused(admin, other):
    """Squatting a virtual catalogue: retailer 2 may not create a ref that names retailer 1."""
    create = """mutation($input: CreateVirtualCatalogueInput) { createVirtualCatalogue(input: $input) { ref } }"""
    ref = f"{unique('VC')}:1"
    fields = {"type": "BASE", "name": "squat", "inventoryCatalogueRef": "DEFAULT:2", "productCatalogueRef": "PC:2"}
    errors = other.gql_errors(create, input={"ref": ref, **fields})
    assert errors and "names retailer 1" in errors[0]["message"], errors
    made = admin.gql(create, input={"ref": ref, **fields, "retailerRefs": ["1"]})
    assert made["createVirtualCatalogue"]["ref"] == ref
