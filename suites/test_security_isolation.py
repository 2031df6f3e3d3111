"""Retailer isolation (group security, clauses SEC-ISO-*): a user of one retailer against another's data.

The profile's other user (``other_user``, a user of the secondary retailer) attacks what the main user
keeps for the primary retailer, on every route that reads or writes it; the main user then reads the
stored effect back. A refusal is never taken on its word: each write check compares the owner's data
before and after. Without an other user the checks are unsupported (the run is INCOMPLETE, never a pass).
Decisions: contracts/decisions.md D-ISO-CATALOGUE, D-ISO-HIDDEN.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from invharness.generators import payloads
from invharness.suites.client import StepFailed, TargetClient
from invharness.suites.helpers import (
    CREATE_QUANTITY,
    CREATE_SETTING,
    UPDATE_QUANTITY,
    UPDATE_SETTING,
    Position,
    new_job,
)
from invharness.suites.readback import read_position, stock

SETTINGS = """query($name: [String], $context: [String!], $id: [Int!]) {
    settings(name: $name, context: $context, contextId: $id, first: 20) {
        edges { node { id name value context contextId } } } }"""
SINGLE = {
    "inventoryCatalogue": "query($c: String!) { inventoryCatalogue(ref: $c) { ref } }",
    "inventoryPosition": "query($r: String!, $c: String!) { inventoryPosition(ref: $r, catalogue: {ref: $c}) { ref } }",
    "inventoryQuantity": "query($q: String!, $c: String!) { inventoryQuantity(ref: $q, catalogue: {ref: $c}) { ref } }",
    "virtualCatalogue": "query($v: String!) { virtualCatalogue(ref: $v) { ref } }",
}
LISTS = {
    "inventoryCatalogues": "query($c: String!) { inventoryCatalogues(ref: [$c]) { edges { node { ref } } } }",
    "inventoryPositions": """query($s: String!) { inventoryPositions(productRef: [$s], first: 50) {
        edges { node { ref } } } }""",
    "inventoryQuantities": "query($q: String!) { inventoryQuantities(ref: [$q]) { edges { node { ref } } } }",
    "virtualCatalogues": "query($v: String!) { virtualCatalogues(ref: [$v]) { edges { node { ref } } } }",
    "virtualPositions": """query($v: String!, $s: String!) {
        virtualPositions(catalogue: {ref: $v}, productRef: [$s], first: 50) { edges { node { ref } } } }""",
}
FEED_QUERIES = {
    "inventoryFeed": "query($f: String!) { inventoryFeed(ref: $f) { ref name } }",
    "inventoryFeeds": "query($f: String!) { inventoryFeeds(ref: [$f]) { edges { node { ref } } } }",
    "inventoryFeedRuns": "query($f: String!) { inventoryFeedRuns(feed: {ref: $f}) { edges { node { ref } } } }",
}
CREATE_FEED = "mutation($input: CreateInventoryFeedInput) { createInventoryFeed(input: $input) { ref } }"
UPDATE_FEED = "mutation($input: UpdateInventoryFeedInput) { updateInventoryFeed(input: $input) { ref name } }"


@pytest.fixture
def other(request: pytest.FixtureRequest, profile: Any) -> TargetClient:
    """The attacker: a user of the secondary retailer. Without one the check is skipped, not unsupported:
    isolation is no feature a target may declare off, so the run stays INCOMPLETE until it is judged."""
    if not profile.other_username:
        pytest.skip("needs a user of another retailer: the profile names no other_user")
    if profile.secondary_retailer == profile.primary_retailer:
        pytest.skip("needs two retailers: the profile's primary and secondary retailer are one")
    other_client: TargetClient = request.getfixturevalue("other_client")
    other_client.exchanges = []
    return other_client


def owned(client: TargetClient, ref: Callable[[str], str], profile: Any, qty: int = 5) -> tuple[Position, Any]:
    """A position of the primary retailer holding ``qty``, and its state as its owner reads it."""
    position = Position.new(ref, profile)
    stock(client, ref, position, qty)
    return position, read_position(client, position)


def unchanged(client: TargetClient, position: Position, before: Any, what: str) -> None:
    after = read_position(client, position)
    assert after == before, f"{what}: the owner's position {position.ref} changed from {before[0]} to {after[0]}"


def attacker_job(other: TargetClient, ref: Callable[[str], str], profile: Any) -> str:
    """A job of the other user's own retailer."""
    return new_job(other, ref, profile.secondary_retailer)


def settle_if_taken(other: TargetClient, job_id: str, answer: Any, what: str) -> None:
    """A batch the target took (200) is waited for; any other answer must be a refusal (4xx)."""
    if answer.status_code == 200:
        batch_id = answer.json()["id"]
        # never settling is the batch's fail; the effect cannot be judged
        other.poll(
            lambda: other.read_batch(job_id, batch_id).json(),
            lambda body: body.get("status") not in ("PENDING", "RUNNING"),
            f"{what}: the batch taken to settle",
            step="BATCH-STATUS-01",
        )
    else:
        assert 400 <= answer.status_code < 500, f"{what}: answered {answer.status_code}, neither taken nor refused"


def seen(body: dict[str, Any], field: str) -> Any:
    """What a GraphQL answer shows of ``field``: None / [] when nothing (errors alone show nothing)."""
    value = (body.get("data") or {}).get(field)
    if isinstance(value, dict) and "edges" in value:
        return [e.get("node") for e in value.get("edges") or []]
    return value


def refused(body: dict[str, Any], field: str) -> bool:
    return bool(body.get("errors")) or seen(body, field) is None


def masked(text: str, *ids: str) -> str:
    for value in ids:
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "<id>", text)
    return text


def same_as_missing(theirs: Any, missing: Any, their_ids: tuple[str, ...], missing_ids: tuple[str, ...]) -> str | None:
    """Why two REST answers differ as more than their ids (None: they do not)."""
    if theirs.status_code != missing.status_code:
        return f"status {theirs.status_code} for another retailer's, {missing.status_code} for a missing one"
    if theirs.headers.get("content-type") != missing.headers.get("content-type"):
        return f"content-type {theirs.headers.get('content-type')} vs {missing.headers.get('content-type')}"
    a, b = masked(theirs.text, *their_ids), masked(missing.text, *missing_ids)
    return None if a == b else f"body {a[:200]!r} vs {b[:200]!r}"


# ---------------------------------------------------------------------- writes


@pytest.mark.clause("SEC-ISO-01")
def test_a_batch_into_another_retailers_catalogue_changes_nothing(client, other, ref, profile):
    position, before = owned(client, ref, profile)
    job_id = attacker_job(other, ref, profile)
    for retailer in (profile.secondary_retailer, profile.primary_retailer):  # entity of either retailer
        record = payloads.record(position.sku, position.location, 999999, retailer, status="ACTIVE")
        body = payloads.batch([record], event=ref("Ev"), catalogue_ref=position.catalogue)
        answer = other.post_batch(job_id, body)
        settle_if_taken(other, job_id, answer, f"a batch into {position.catalogue} with retailerId {retailer}")
        unchanged(client, position, before, f"a batch of the other user into {position.catalogue}")


@pytest.mark.clause("SEC-ISO-02")
def test_a_delta_into_another_retailers_catalogue_changes_nothing(client, other, ref, profile):
    position, before = owned(client, ref, profile)
    for route in ("sync", "async"):
        delta = payloads.delta(position.sku, position.location, 999, delta_id=ref("d"))
        event = payloads.delta_event([delta], str(profile.secondary_retailer), catalogue_ref=position.catalogue)
        answer = other.request("POST", f"/api/v4.1/event/{route}", json=event)
        assert answer.status_code < 500, f"/event/{route} answered {answer.status_code}"
        if route == "async" and answer.status_code == 200:  # taken: judge the effect once it is processed
            processed(other, answer.json().get(profile.value("event.async_id_field")))
        unchanged(client, position, before, f"an INVENTORY_DELTA ({route}) of the other user into {position.catalogue}")


def processed(other: TargetClient, event_id: Any) -> None:
    """Wait until the sender reads its async event as processed; not getting there fails EVT-ASYNC-01."""
    other.poll(
        lambda: other.request("GET", f"/api/v4.1/event/{event_id}").json(),
        lambda body: body.get("eventStatus") not in ("PENDING", "RUNNING", None),
        f"the async delta event {event_id} to be processed",
        step="EVT-ASYNC-01",
    )


@pytest.mark.clause("SEC-ISO-03")
def test_graphql_quantity_mutations_on_another_retailers_position_change_nothing(client, other, ref, profile):
    position, before = owned(client, ref, profile)
    catalogue = {"ref": position.catalogue}
    create = {"ref": ref("Q"), "catalogue": catalogue, "type": "SALE", "status": "ACTIVE", "quantity": 999}
    create["position"] = {"ref": position.ref, "catalogue": catalogue}
    update = {"ref": position.quantity_ref(), "catalogue": catalogue, "status": "INACTIVE", "quantity": 0}
    for mutation, field, data in (
        (CREATE_QUANTITY, "createInventoryQuantity", create),
        (UPDATE_QUANTITY, "updateInventoryQuantity", update),
    ):
        body = other.graphql(mutation, input=data)
        assert refused(body, field), f"{field} by the other user answered {seen(body, field)}"
        unchanged(client, position, before, f"{field} by the other user")


@pytest.mark.clause("SEC-ISO-03")
@pytest.mark.requires("settings_writes")
def test_graphql_setting_mutations_of_another_retailer_change_nothing(client, other, ref, profile):
    name = ref("invharness.sec")
    mine = payloads.setting_input("v1", "RETAILER", profile.primary_retailer, name=name, value_type="STRING")
    setting_id = client.data(CREATE_SETTING, clause="GQL-SET-01", input=mine)["createSetting"]["id"]
    taken = {**mine, "id": setting_id, "value": "stolen", "contextId": profile.secondary_retailer}
    body = other.graphql(UPDATE_SETTING, input=taken)
    assert refused(body, "updateSetting"), (
        f"updateSetting of the owner's setting answered {seen(body, 'updateSetting')}"
    )
    planted = {**mine, "name": ref("invharness.sec"), "value": "planted"}
    body = other.graphql(CREATE_SETTING, input=planted)
    assert refused(body, "createSetting"), f"createSetting in RETAILER {profile.primary_retailer} was answered"
    for setting, value in ((mine, "v1"), (planted, None)):
        nodes = seen({"data": client.data(SETTINGS, name=[setting["name"]])}, "settings")
        values = [(n["value"], n["context"], n["contextId"]) for n in nodes]
        expected = [] if value is None else [(value, "RETAILER", profile.primary_retailer)]
        assert values == expected, f"setting {setting['name']} as its owner reads it: {values}, expected {expected}"


# ---------------------------------------------------------------------- reads


def visible_virtual(client: TargetClient, position: Position, profile: Any) -> None:
    """The owner sees its virtual position (else the check below could not fail): INV-VP-02 answers for it."""
    base = f"BASE:{profile.primary_retailer}"
    client.poll(
        lambda: seen(client.graphql(LISTS["virtualPositions"], v=base, s=position.sku), "virtualPositions"),
        bool,
        f"the owner's virtual position of {position.sku} in {base}",
        step="INV-VP-02",
    )


@pytest.mark.clause("SEC-ISO-04")
def test_graphql_reads_show_nothing_of_another_retailers_inventory(client, other, ref, profile):
    position, _ = owned(client, ref, profile)
    visible_virtual(client, position, profile)
    names = {
        "c": position.catalogue,
        "r": position.ref,
        "q": position.quantity_ref(),
        "v": f"BASE:{profile.primary_retailer}",
        "s": position.sku,
    }
    leaks = {}
    for field, query in {**SINGLE, **LISTS}.items():
        variables = {k: v for k, v in names.items() if f"${k}" in query}
        shown_to_owner = seen(client.graphql(query, **variables), field)
        if not shown_to_owner:
            raise StepFailed("GQL-INV-01", f"{field}({variables}) shows the owner nothing; the check needs it")
        shown = seen(other.graphql(query, **variables), field)
        if shown:
            leaks[field] = shown
    assert leaks == {}, f"the other retailer's user reads the owner's inventory: {leaks}"


@pytest.mark.clause("SEC-ISO-04")
@pytest.mark.requires("settings_writes")
def test_the_settings_query_shows_nothing_of_another_retailers_settings(client, other, ref, profile):
    name = ref("invharness.sec")
    mine = payloads.setting_input("v", "RETAILER", profile.primary_retailer, name=name, value_type="STRING")
    client.data(CREATE_SETTING, clause="GQL-SET-01", input=mine)
    for variables in ({"name": [name]}, {"name": [name], "context": ["RETAILER"], "id": [profile.primary_retailer]}):
        assert seen({"data": client.data(SETTINGS, **variables)}, "settings"), (
            f"the owner does not see its setting {name}"
        )
        shown = seen(other.graphql(SETTINGS, **variables), "settings")
        assert not shown, f"settings({variables}) shows the other retailer's user {shown}"


@pytest.mark.clause("SEC-ISO-05")
@pytest.mark.requires("settings_writes")
@pytest.mark.requires("account_settings")
def test_the_settings_query_shows_a_retailers_user_no_account_settings(client, other, ref):
    name = ref("invharness.sec")
    client.data(CREATE_SETTING, clause="GQL-SET-01", input=payloads.setting_input("v", name=name, value_type="STRING"))
    assert seen({"data": client.data(SETTINGS, name=[name])}, "settings"), (
        f"the owner does not see its ACCOUNT setting {name}"
    )
    shown = seen(other.graphql(SETTINGS, name=[name]), "settings")
    assert not shown, f"the ACCOUNT setting {name} is shown to a retailer's user: {shown}"


# ---------------------------------------------------------------------- REST: jobs, batches, events


def owner_resources(client: TargetClient, ref: Callable[[str], str], profile: Any) -> dict[str, str]:
    """A job of the primary retailer with one batch, and an event of the primary retailer (their ids)."""
    position = Position.new(ref, profile)
    name = ref("SecEv")
    job_id = new_job(client, lambda _kind: name, profile.primary_retailer)
    batch = client.post_batch(job_id, payloads.batch([position.record(1)], event=ref("Ev")))
    if batch.status_code != 200:
        raise StepFailed("BATCH-CREATE-01", f"the owner's batch: {batch.status_code}")
    event = {"name": name, "retailerId": str(profile.primary_retailer), "entityRef": position.ref}
    posted = client.request("POST", "/api/v4.1/event/async", json=event)
    if posted.status_code != 200:
        raise StepFailed("EVT-ASYNC-01", f"the owner's event: {posted.status_code}")
    event_id = posted.json().get(profile.value("event.async_id_field")) or posted.json().get("id")
    return {"name": name, "job": job_id, "batch": str(batch.json()["id"]), "event": str(event_id)}


def missing_ids(mine: dict[str, str]) -> dict[str, str]:
    """Ids of the same form that name nothing (far beyond any issued digit id; a fresh uuid)."""
    return {"job": str(10**15 + int(mine["job"])), "batch": mine["batch"], "event": str(uuid.uuid4())}


def reads(ids: dict[str, str]) -> dict[str, str]:
    return {
        "job": f"/api/v4.1/job/{ids['job']}",
        "batch": f"/api/v4.1/job/{ids['job']}/batch/{ids['batch']}",
        "event": f"/api/v4.1/event/{ids['event']}",
    }


@pytest.mark.clause("SEC-ISO-06")
def test_another_retailers_jobs_batches_and_events_are_not_answered(client, other, ref, profile):
    mine = owner_resources(client, ref, profile)
    declared = int(profile.value("security.foreign_resource_status"))
    for what, path in reads(mine).items():
        assert client.request("GET", path).status_code == 200, f"the owner cannot read its {what} at {path}"
        answer = other.request("GET", path)
        assert answer.status_code == declared, f"another retailer's {what}: {answer.status_code}, declared {declared}"
        assert mine["name"] not in answer.text, f"another retailer's {what}: the answer shows its data"
        assert isinstance(answer.json().get("errors"), list), f"another retailer's {what}: no errors envelope"
    own_job = attacker_job(other, ref, profile)  # the owner's batch id under a job of the other user's own
    crossed = other.request("GET", f"/api/v4.1/job/{own_job}/batch/{mine['batch']}")
    assert 400 <= crossed.status_code < 500, f"the owner's batch read under another job: {crossed.status_code}"
    record = payloads.record(ref("SKU"), ref("LOC"), 1, profile.secondary_retailer)
    posted = other.post_batch(mine["job"], payloads.batch([record]))
    assert posted.status_code == declared, f"a batch to another retailer's job: {posted.status_code}, not {declared}"
    batches = [str(b.get("batchId")) for b in client.request("GET", reads(mine)["job"]).json().get("batch") or []]
    assert batches == [mine["batch"]], f"the owner's job holds batches {batches} after the other user's post"
    for params in ({"name": mine["name"]}, {"name": mine["name"], "retailerId": str(profile.primary_retailer)}):
        # an async event may be listed a little later: the owner's own search must find it first
        client.poll(
            lambda p=params: client.request("GET", "/api/v4.1/event", params=p).json().get("results"),
            bool,
            f"the owner's search {params} to find its own event",
            step="EVT-SEARCH-01",
        )
        answer = other.request("GET", "/api/v4.1/event", params=params)
        found = answer.json().get("results") if answer.status_code == 200 else []
        assert not found, f"the other retailer's user finds the owner's events by {params}: {found}"


@pytest.mark.clause("SEC-ISO-07")
def test_another_retailers_resources_answer_exactly_like_missing_ones(client, other, ref, profile):
    mine = owner_resources(client, ref, profile)
    missing = missing_ids(mine)
    differences = {}
    for (what, theirs), absent in zip(reads(mine).items(), reads(missing).values(), strict=True):
        ids_theirs = (mine["job"], mine["batch"], mine["event"])
        ids_missing = (missing["job"], missing["batch"], missing["event"])
        why = same_as_missing(other.request("GET", theirs), other.request("GET", absent), ids_theirs, ids_missing)
        if why:
            differences[what] = why
    record = payloads.batch([payloads.record(ref("SKU"), ref("LOC"), 1, profile.secondary_retailer)])
    why = same_as_missing(
        other.post_batch(mine["job"], record),
        other.post_batch(missing["job"], record),
        (mine["job"],),
        (missing["job"],),
    )
    if why:
        differences["batch post"] = why
    assert differences == {}, f"another retailer's resources can be told from missing ones: {differences}"


@pytest.mark.clause("SEC-ISO-07")
def test_a_delta_into_another_retailers_catalogue_fails_like_one_into_a_missing_catalogue(client, other, ref, profile):
    position, _ = owned(client, ref, profile)
    nowhere = f"{ref('NOCAT')}:{profile.primary_retailer}"
    answers = {}
    for catalogue in (position.catalogue, nowhere):
        delta = payloads.delta(position.sku, position.location, 1, delta_id=ref("d"))
        event = payloads.delta_event([delta], str(profile.secondary_retailer), catalogue_ref=catalogue)
        answer = other.request("POST", "/api/v4.1/event/sync", json=event)
        body = answer.json() if answer.headers.get("content-type", "").startswith("application/json") else {}
        fields = {k: masked(str(v), catalogue) for k, v in body.items() if k not in ("id", "eventId")}
        answers[catalogue] = (answer.status_code, fields)
    assert answers[position.catalogue] == answers[nowhere], f"another retailer's catalogue vs a missing one: {answers}"


def graphql_errors(body: dict[str, Any], field: str, *ids: str) -> Any:
    """A GraphQL answer with the ids masked: its errors' messages and codes, and what it shows of ``field``."""
    errors = [(masked(str(e.get("message")), *ids), e.get("extensions")) for e in body.get("errors") or []]
    return errors, seen(body, field)


@pytest.mark.clause("SEC-ISO-07")
def test_a_quantity_in_another_retailers_catalogue_answers_like_one_in_a_missing_catalogue(client, other, ref, profile):
    position, before = owned(client, ref, profile)
    nowhere = f"{ref('NOCAT')}:{profile.primary_retailer}"
    answers = {}
    for catalogue in (position.catalogue, nowhere):
        key = {"ref": catalogue}
        data = {"ref": ref("Q"), "catalogue": key, "type": "SALE", "status": "ACTIVE", "quantity": 1}
        data["position"] = {"ref": position.ref, "catalogue": key}
        body = other.graphql(CREATE_QUANTITY, input=data)
        answers[catalogue] = graphql_errors(body, "createInventoryQuantity", catalogue, data["ref"])
    assert answers[position.catalogue] == answers[nowhere], f"another retailer's catalogue vs a missing one: {answers}"
    unchanged(client, position, before, "createInventoryQuantity by the other user")


@pytest.mark.clause("SEC-ISO-07")
@pytest.mark.requires("settings_writes")
def test_updating_another_retailers_setting_answers_like_a_missing_one(client, other, ref, profile):
    mine = payloads.setting_input(
        "v1", "RETAILER", profile.primary_retailer, name=ref("invharness.sec"), value_type="STRING"
    )
    setting_id = str(client.data(CREATE_SETTING, clause="GQL-SET-01", input=mine)["createSetting"]["id"])
    absent = str(10**12 + int(setting_id)) if setting_id.isdigit() else str(uuid.uuid4())
    answers = {}
    for target in (setting_id, absent):
        body = other.graphql(UPDATE_SETTING, input={**mine, "id": target, "contextId": profile.secondary_retailer})
        errors = body.get("errors") or []
        answers[target] = [
            (masked(str(e.get("message")), target), e.get("extensions"), seen(body, "updateSetting")) for e in errors
        ] or seen(body, "updateSetting")
    assert answers[setting_id] == answers[absent], f"another retailer's setting vs a missing one: {answers}"


# ---------------------------------------------------------------------- catalogues


@pytest.mark.clause("SEC-ISO-08")
def test_catalogue_squatting_reads_nothing_of_the_owner(client, other, ref, profile):
    tag = ref("SQ")
    job_id = attacker_job(other, ref, profile)
    leaks = {}
    for squatted in (f"{tag}:x", f"{tag}", f"{tag}B:{profile.primary_retailer}"):
        bait = payloads.record(ref("SKU"), ref("LOC"), 1, profile.secondary_retailer)
        answer = other.post_batch(job_id, payloads.batch([bait], event=ref("Ev"), catalogue_ref=squatted))
        settle_if_taken(other, job_id, answer, f"the other user's batch into {squatted}")
        position = Position.new(ref, profile)
        owner_job = new_job(client, ref, profile.primary_retailer)
        owner = client.post_batch(owner_job, payloads.batch([position.record(7)], catalogue_ref=squatted))
        settle_if_taken(client, owner_job, owner, f"the owner's batch into {squatted}")
        shown = seen(other.graphql(SINGLE["inventoryPosition"], r=position.ref, c=squatted), "inventoryPosition")
        listed = seen(other.graphql(LISTS["inventoryPositions"], s=position.sku), "inventoryPositions")
        if shown or listed:
            leaks[squatted] = shown or listed
    assert leaks == {}, f"the owner's records in a catalogue the other user wrote first are readable by it: {leaks}"


@pytest.mark.clause("SEC-ISO-09")
def test_a_catalogue_ref_naming_no_retailer_or_another_is_refused(client, other, ref, profile):
    tag = ref("NS")
    cases = [(other, profile.secondary_retailer, f"{tag}A"), (other, profile.secondary_retailer, f"{tag}B:x")]
    cases.append((client, profile.primary_retailer, f"{tag}C:{profile.secondary_retailer}"))
    for user, retailer, catalogue in cases:
        job_id = new_job(user, ref, retailer)
        record = payloads.record(ref("SKU"), ref("LOC"), 1, retailer)
        answer = user.post_batch(job_id, payloads.batch([record], catalogue_ref=catalogue))
        assert answer.status_code == 400, (
            f"a batch of a job of retailer {retailer} into {catalogue}: {answer.status_code}"
        )
        assert isinstance(answer.json().get("errors"), list), f"{catalogue}: no errors envelope"
        stored = user.request("GET", f"/api/v4.1/job/{job_id}").json().get("batch")
        assert not stored, f"the refused batch into {catalogue} was stored: {stored}"


# ---------------------------------------------------------------------- feeds


@pytest.mark.clause("SEC-ISO-10")
@pytest.mark.requires("feeds")
def test_a_retailers_user_neither_reads_nor_changes_the_accounts_feeds(client, other, ref, profile):
    feed = ref("sec-feed")
    made = payloads.feed_input(feed, "INVENTORY_POSITION", ref("bucket").lower()[:60], name="owner")
    client.data(CREATE_FEED, clause="FEED-CREATE-01", input=made)
    leaks = {}
    for field, query in FEED_QUERIES.items():
        shown = seen(other.graphql(query, f=feed), field)
        if shown:
            leaks[field] = shown
    body = other.graphql(UPDATE_FEED, input={"ref": feed, "name": "stolen"})
    if not refused(body, "updateInventoryFeed"):
        leaks["updateInventoryFeed"] = seen(body, "updateInventoryFeed")
    name = seen({"data": client.data(FEED_QUERIES["inventoryFeed"], f=feed)}, "inventoryFeed")["name"]
    assert leaks == {} and name == "owner", f"the other retailer's user reached the feed: {leaks}; its name: {name}"
