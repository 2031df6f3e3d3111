"""Resource limits of issue 15: GraphQL cost bombs refused before they run, JSON depth both ways,
slow S3 and slow clients off the event loop, event search from indexes."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import replace

import pytest
import requests

from invharness.reference_impl.config import ServerConfig
from invharness.reference_impl.server import EmbeddedServer
from invharness.reference_impl.stores.events import EventBlock, InMemoryEventLog
from tests.support import Api, record, unique

POSITIONS = "inventoryPositions(first: 500) { edges { node { ref onHand } } }"
NESTED = """{ inventoryCatalogues(first: 500) { edges { node { ref
    inventoryPositions(first: 500) { edges { node { ref
        quantities(first: 500) { edges { node { ref } } } } } } } } } }"""


def _limit_errors(api: Api, query: str, **variables: object) -> list[str]:
    answer = api.post("/graphql", {"query": query, "variables": variables})
    body = answer.json()
    assert "data" not in body, body  # refused as a request error: nothing ran
    limited = [e for e in body["errors"] if "limit" in e.get("extensions", {})]
    assert all(e["extensions"]["code"] == "C0001E" for e in limited), limited  # Fluent's API-limit range
    return [e["extensions"]["limit"] for e in body["errors"] if "limit" in e.get("extensions", {})]


def test_a_thousand_aliases_of_a_full_page_are_refused_before_they_run(api):
    api.run_batch([record(unique("SKU"), 1)])
    bomb = "{ " + " ".join(f"a{i}: {POSITIONS}" for i in range(1000)) + " }"
    started = time.perf_counter()
    limits = _limit_errors(api, bomb)
    assert "aliases" in limits and "complexity" in limits
    assert time.perf_counter() - started < 5  # the unlimited server took 11 s to answer it


def test_three_nested_connection_levels_are_refused_for_complexity(api):
    assert _limit_errors(api, NESTED) == ["complexity"]


def test_complexity_counts_first_given_by_a_variable_and_the_default_page_when_absent(api):
    page = "inventoryPositions(first: $n) { edges { node { ref quantities { edges { node { ref } } } } } }"
    query = f"query($n: Int) {{ a: {page} b: {page} }}"
    # twice 500 positions x (1 + 100 default quantities): over 100,000 nodes; at first: 10 it is within
    assert _limit_errors(api, query, n=500) == ["complexity"]
    assert "a" in api.gql(query, n=10)


def _parents(levels: int) -> str:
    """inventoryQuantities -> edges -> node -> parent x levels -> ref: 4 + levels fields deep."""
    return (
        "{ inventoryQuantities(first: 1) { edges { node { " + "parent { " * levels + "ref" + " }" * (levels + 3) + " }"
    )


def test_depth_over_the_limit_is_refused_and_names_the_limit(api):
    assert "inventoryQuantities" in api.gql(_parents(8))  # 12 deep: the limit
    assert _limit_errors(api, _parents(9)) == ["depth"]
    spread = "fragment P on InventoryQuantity { parent { parent { ref } } } " + _parents(7).replace("ref", "...P")
    assert _limit_errors(api, spread) == ["depth"]  # depth counted through a fragment


def test_a_query_within_every_limit_answers(api):
    sku = unique("SKU")
    api.run_batch([record(sku, 3)])
    aliased = "{ " + " ".join(f"p{i}: {POSITIONS}" for i in range(20)) + " }"
    data = api.gql(aliased)
    assert any(e["node"]["ref"].startswith(sku) for e in data["p19"]["edges"])


def test_a_fragment_spread_many_times_is_measured_once_and_scaled():
    from graphql import parse, validate

    from invharness.reference_impl.transport.graphql.limits import QueryLimits, limit_rule
    from invharness.reference_impl.transport.graphql.schema import build_schema

    limits = QueryLimits(12, 100, 100_000, default_page=100, page_cap=500, max_json_depth=128)
    # a fragment that spreads the one before it ten times, twelve levels: 10**12 fields if expanded
    fragments = ["fragment F0 on Query { inventoryPositions(first: 1) { edges { node { ref } } } }"]
    fragments += [f"fragment F{i} on Query {{ {' '.join(f'...F{i - 1}' for _ in range(10))} }}" for i in range(1, 13)]
    document = parse("{ ...F12 } " + " ".join(fragments))
    started = time.perf_counter()
    errors = validate(build_schema(), document, [limit_rule(limits, {})])
    assert time.perf_counter() - started < 1
    assert [e.extensions["limit"] for e in errors] == ["complexity"]


@pytest.mark.parametrize("cycle", ["fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"])
def test_a_fragment_cycle_is_refused_not_a_crash(api, cycle):
    errors = api.post("/graphql", {"query": cycle}).json()["errors"]
    assert any("cycle" in e["message"].lower() or "spread" in e["message"].lower() for e in errors)


def _nested(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = {"a": value}
    return value


def _event(name: str, attributes: object) -> dict[str, object]:
    return {"name": name, "entityType": "INVENTORY_CATALOGUE", "entityRef": "DEFAULT:1", "attributes": attributes}


def test_an_event_deeper_than_the_server_can_answer_is_refused_and_search_keeps_answering(api):
    name = unique("DEEP")
    refused = api.post("/api/v4.1/event/async", _event(name, _nested(300)))  # orjson reads it, could not write it
    assert refused.status_code == 400 and "deeper than 128" in refused.text
    within = api.post("/api/v4.1/event/async", _event(name, _nested(126)))  # body: 2 levels above attributes
    assert within.status_code == 200, within.text
    found = api.get("/api/v4.1/event", name=name)
    assert found.status_code == 200 and len(found.json()["results"]) == 1
    assert api.get("/api/v4.1/event").status_code == 200


def test_job_meta_and_batch_attributes_over_the_depth_limit_are_refused(api):
    assert api.post("/api/v4.1/job", {"name": "j", "retailerId": "1", "meta": _nested(128)}).status_code == 400
    job = api.job()
    deep = record(unique("SKU"), 1, attributes=_nested(127))
    answer = api.post(f"/api/v4.1/job/{job}/batch", {"action": "UPSERT", "entityType": "INVENTORY", "entities": [deep]})
    assert answer.status_code == 400


SETTING = """mutation($input: CreateSettingInput) { createSetting(input: $input) { id lobValue } }"""


def test_setting_lob_value_over_the_depth_limit_is_refused_as_variable_and_as_literal(api):
    setting = {"name": unique("deep."), "valueType": "JSON", "context": "ACCOUNT", "contextId": 0}
    over = api.post("/graphql", {"query": SETTING, "variables": {"input": {**setting, "lobValue": _nested(200)}}})
    assert over.status_code in (200, 400) and "deeper than 128" in over.text
    literal = 'mutation { createSetting(input: {name: "x", valueType: "JSON", context: "ACCOUNT", contextId: 0, '
    literal += "lobValue: " + "{a: " * 130 + '"v"' + "}" * 130 + "}) { id } }"
    assert _limit_errors(api, literal) == ["JSON literal depth"]
    stored = api.gql(SETTING, input={**setting, "lobValue": _nested(100)})["createSetting"]
    assert stored["lobValue"] == _nested(100)  # and it reads back


class SilentS3:
    """A local socket that accepts connections and never answers (an S3 endpoint gone dead)."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self.stop.is_set():  # bounded by stop, set when the test ends
            with contextlib.suppress(TimeoutError):
                self.accepted.append(self.socket.accept()[0])

    def __enter__(self) -> SilentS3:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        for connection in [*self.accepted, self.socket]:
            connection.close()


def test_feed_activation_against_an_s3_that_never_answers_holds_only_its_own_request(clock):
    from invharness.generators import payloads

    update = "mutation($input: UpdateInventoryFeedInput) { updateInventoryFeed(input: $input) { ref status } }"
    create = "mutation($input: CreateInventoryFeedInput) { createInventoryFeed(input: $input) { ref } }"
    config = ServerConfig(s3_connect_timeout_s=0.5, s3_read_timeout_s=2.0, s3_max_attempts=1)
    with SilentS3() as silent, EmbeddedServer(replace(config, s3_endpoint=silent.url), clock=clock) as server:
        api, ref = Api(server), unique("silent-")
        api.gql(create, input=payloads.feed_input(ref, "INVENTORY_POSITION", "dest-bucket"))
        answers: list[requests.Response] = []
        activation = threading.Thread(
            target=lambda: answers.append(
                api.post("/graphql", {"query": update, "variables": {"input": {"ref": ref, "status": "ACTIVE"}}})
            ),
        )
        started = time.perf_counter()
        activation.start()
        health: list[float] = []
        while activation.is_alive() and time.perf_counter() - started < 30:
            asked = time.perf_counter()
            assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
            health.append(time.perf_counter() - asked)
            time.sleep(0.05)
        activation.join(timeout=30)
        assert silent.accepted, "the activation never reached the silent S3"
        assert len(health) >= 5 and max(health) < 1.0  # the loop kept answering while S3 held the activation
        body = answers[0].json()
        assert "not reachable" in body["errors"][0]["message"] and body["data"]["updateInventoryFeed"] is None
        assert time.perf_counter() - started < 10  # bounded: 2 s read timeout, 1 attempt
        assert api.gql("query($r: String!) { inventoryFeed(ref: $r) { status } }", r=ref)["inventoryFeed"] == {
            "status": "CREATED"
        }


def _log(events: int, retention: int = 1_000_000, batch_started: float = 0.0) -> InMemoryEventLog:
    """A log of single events (retailer 1 or 2, four names, one a second), then batch-record events
    generated at ``batch_started`` (a batch's events carry its start, however late they are appended)."""
    log = InMemoryEventLog(retention)
    block = EventBlock("BATCH", batch_started, 2, "INVENTORY_POSITION", None, None, None, "admin")
    for i in range(events):
        log.append(f"N{i % 4}", float(i), retailer_id=1 + i % 2, entity_type="X", entity_ref=f"E{i % 10}")
    other = EventBlock("BATCH2", batch_started, 1, "INVENTORY_POSITION", None, None, None, "admin")
    # two batches' records interleaved in one chunk, as the worker writes them
    log.append_records([(other if i % 3 == 0 else block, f"P{i}", f"Q{i}", "DELTA", i) for i in range(events // 10)])
    return log


def _naive(log: InMemoryEventLog, filters: dict[str, str], since: float, until: float, retailers: set) -> list:
    every = [log._view(seq) for seq in range(log._first_seq, log._next_seq)]
    return [
        log.event_id(e)
        for e in reversed(every)
        if since <= e.generated_on <= until
        and e.retailer_id in retailers
        and all(str(getattr(e, f)) == v for f, v in filters.items())
    ]


class _Counting:
    """The visibility callable of a search, counting the events it was asked about."""

    def __init__(self, retailers: set) -> None:
        self.retailers, self.asked = retailers, 0

    def __call__(self, event: object) -> bool:
        self.asked += 1
        return event.retailer_id in self.retailers  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "filters",
    [{}, {"name": "N1"}, {"entity_ref": "E3"}, {"type": "ORCHESTRATION"}, {"name": "BATCH2"}, {"entity_ref": "P5"}],
)
@pytest.mark.parametrize("retailers", [{1, 2, None}, {2, None}])
def test_event_search_from_indexes_answers_what_a_scan_would(filters, retailers):
    log = _log(2_000, retention=1_500)  # trimmed: the oldest tenth dropped, twice
    for since, until in ((0.0, 1e9), (700.0, 900.0), (1_999.0, 1_999.0)):
        found, more = log.search(filters, since, until, 0, 5_000, _Counting(retailers), retailers=retailers)
        assert [log.event_id(e) for e in found] == _naive(log, filters, since, until, retailers) and not more
    page, more = log.search(filters, 0.0, 1e9, 3, 5, _Counting(retailers), retailers=retailers)
    assert [log.event_id(e) for e in page] == _naive(log, filters, 0.0, 1e9, retailers)[3:8]


def test_a_user_who_can_see_nothing_reads_nothing():
    log, visible = _log(20_000), _Counting({3, None})
    assert log.search({}, 0.0, 1e9, 0, 100, visible, retailers={3, None}) == ([], False)
    assert visible.asked == 0  # the unindexed search asked about every one of 22,000 events


def test_event_search_reads_only_the_time_window_and_the_indexed_name_or_type():
    log = _log(20_000, batch_started=19_990.0)
    visible = _Counting({1, 2, None})
    found, _ = log.search({}, 100.0, 109.0, 0, 100, visible)
    assert len(found) == 10 and visible.asked == 10
    visible = _Counting({1, 2, None})
    assert log.search({"type": "ORCHESTRATION_AUDIT"}, 0.0, 1e9, 0, 100, visible) == ([], False)
    assert log.search({"name": "NONE"}, 0.0, 1e9, 0, 100, visible) == ([], False) and visible.asked == 0


@pytest.fixture
def impatient(clock):
    """A server that waits half a second for a request head or body."""
    config = ServerConfig(header_timeout_s=0.5, body_read_timeout_s=0.5, keep_alive_timeout_s=1)
    with EmbeddedServer(config, clock=clock) as server:
        yield server


def _answer(connection: socket.socket, within_s: float = 5.0) -> bytes:
    """What the server sends before it closes the connection (bounded by ``within_s``)."""
    connection.settimeout(within_s)
    received = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_a_request_head_sent_byte_by_byte_is_cut_off_while_others_are_served(impatient):
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=5) as slow:
        started, closed_after = time.perf_counter(), None
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 40:  # a byte every 0.1 s
            try:
                slow.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed_after = time.perf_counter() - started
                break
            assert requests.get(f"{impatient.url}/healthz", timeout=5).status_code == 200
            time.sleep(0.1)
        assert closed_after is not None and 0.4 < closed_after < 3  # the head's deadline is 0.5 s


def test_a_body_that_stops_arriving_answers_408(impatient):
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=5) as slow:
        slow.sendall(b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n")
        slow.sendall(b"Content-Length: 100\r\n\r\nclient_id=DEMO&")  # 85 bytes short, for good
        answer = _answer(slow)
    assert answer.startswith(b"HTTP/1.1 408") and b"not received within 0.5 s" in answer


def test_a_whole_request_is_answered_and_the_kept_alive_connection_closes_when_idle(impatient):
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=5) as client:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        started = time.perf_counter()
        assert _answer(client).startswith(b"HTTP/1.1 200") and time.perf_counter() - started < 4


def test_a_json_depth_the_answers_could_not_carry_is_refused_at_start():
    with pytest.raises(ValueError, match="orjson writes"):
        ServerConfig(max_json_depth=240)  # + the deepest answer envelope (2 x 12 + 2) > 254
    assert ServerConfig(max_json_depth=228).max_json_depth == 228
