"""Helpers for our tests that talk to an embedded reference server over HTTP."""

from __future__ import annotations

import itertools
import time
from typing import Any

import requests

from invharness.reference_impl.server import EmbeddedServer

_unique = itertools.count(1)


def unique(prefix: str) -> str:
    """A ref no other test uses."""
    return f"{prefix}{next(_unique):05d}"


class Api:
    """A small client of the reference server, logged in as one user."""

    def __init__(self, server: EmbeddedServer, username: str = "admin", password: str | None = None) -> None:
        self.server = server
        self.url = server.url
        self.session = requests.Session()
        answer = self.token(username=username, password=password or username)
        assert answer.status_code == 200, answer.text
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def token(self, **params: str) -> requests.Response:
        form = {"client_id": "DEMO", "client_secret": "demo-secret", "grant_type": "password", "scope": "api"}
        form.update(params)
        return requests.post(f"{self.url}/oauth/token", data=form, timeout=10)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.session.post(self.url + path, json=body, timeout=30)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.url + path, params=params, timeout=30)

    def job(self, retailer: Any = "1", **fields: Any) -> str:
        answer = self.post("/api/v4.1/job", {"name": "test job", "retailerId": retailer, **fields})
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    def batch(self, job_id: str, entities: list[dict[str, Any]], **fields: Any) -> str:
        body = {"action": "UPSERT", "entityType": "INVENTORY", "entities": entities, **fields}
        answer = self.post(f"/api/v4.1/job/{job_id}/batch", body)
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    def run_batch(self, entities: list[dict[str, Any]], job_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """Post a batch (in a new job unless given), wait for it, answer the batch read."""
        job_id = job_id or self.job()
        batch_id = self.batch(job_id, entities, **fields)
        return self.wait_batch(job_id, batch_id)

    def wait_batch(self, job_id: str, batch_id: str, timeout_s: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            body = self.get(f"/api/v4.1/job/{job_id}/batch/{batch_id}", count=5000).json()
            if body["status"] == "COMPLETE":
                return body
            time.sleep(0.01)
        raise AssertionError(f"batch {batch_id} of job {job_id} did not complete in {timeout_s}s")

    def events(self, name: str, entity_ref: str | None = None) -> list[dict[str, Any]]:
        params = {"name": name, "count": 5000}
        if entity_ref is not None:
            params["context.entityRef"] = entity_ref
        answer = self.get("/api/v4.1/event", **params)
        assert answer.status_code == 200, answer.text
        return answer.json()["results"]

    def gql(self, query: str, **variables: Any) -> dict[str, Any]:
        answer = self.post("/graphql", {"query": query, "variables": variables})
        body = answer.json()
        assert "errors" not in body, body
        return body["data"]

    def gql_errors(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        body = self.post("/graphql", {"query": query, "variables": variables}).json()
        assert body.get("errors"), body
        return body["errors"]

    def position(self, sku: str, loc: str = "LOC1", catalogue: str = "DEFAULT:1") -> dict[str, Any] | None:
        query = """query($ref: String!, $cat: String!) { inventoryPosition(ref: $ref, catalogue: {ref: $cat}) {
            ref onHand status updatedOn
            quantities(first: 500) { edges { node { ref type status quantity correctedQty updatedOn } } } } }"""
        return self.gql(query, ref=f"{sku}:{loc}:{catalogue.split(':')[0]}", cat=catalogue)["inventoryPosition"]

    def quantities(self, sku: str, loc: str = "LOC1", catalogue: str = "DEFAULT:1") -> dict[str, dict[str, Any]]:
        position = self.position(sku, loc, catalogue)
        return {} if position is None else {e["node"]["ref"]: e["node"] for e in position["quantities"]["edges"]}

    def setting(
        self, context: str, value: str, context_id: int = 0, name: str = "fc.enable.batch.preprocessing"
    ) -> None:
        mutation = """mutation($input: CreateSettingInput) { createSetting(input: $input) { id } }"""
        self.gql(
            mutation,
            input={"name": name, "valueType": "BOOLEAN", "value": value, "context": context, "contextId": context_id},
        )

    def add_quantity(
        self, sku: str, kind: str, qty: int, status: str = "ACTIVE", loc: str = "LOC1", ref: str | None = None
    ) -> str:
        ref = ref or f"{sku}:{loc}:DEFAULT:{kind}:{unique('q')}"
        mutation = (
            """mutation($input: CreateInventoryQuantityInput) { createInventoryQuantity(input: $input) { ref } }"""
        )
        self.gql(
            mutation,
            input={
                "ref": ref,
                "catalogue": {"ref": "DEFAULT:1"},
                "type": kind,
                "status": status,
                "quantity": qty,
                "position": {"ref": f"{sku}:{loc}:DEFAULT", "catalogue": {"ref": "DEFAULT:1"}},
            },
        )
        return ref

    def set_status(self, ref: str, status: str) -> None:
        mutation = (
            """mutation($input: UpdateInventoryQuantityInput) { updateInventoryQuantity(input: $input) { ref } }"""
        )
        self.gql(mutation, input={"ref": ref, "catalogue": {"ref": "DEFAULT:1"}, "status": status})


def record(sku: str, qty: int, loc: str = "LOC1", **fields: Any) -> dict[str, Any]:
    return {"skuRef": sku, "locationRef": loc, "qty": qty, "retailerId": 1, **fields}
