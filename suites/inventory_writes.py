"""The inventory mutations checks set their data up with (issue 10): inventory positions, virtual
catalogues and virtual positions, by Fluent's inputs. Each step reads its stored effect back; a target
that answers wrongly fails the clause of that mutation (StepFailed), never the check standing on it.
"""

from __future__ import annotations

from typing import Any

from invharness.suites.client import StepFailed, TargetClient
from invharness.suites.readback import step_data

__all__ = [
    "CREATE_POSITION",
    "CREATE_VIRTUAL_CATALOGUE",
    "CREATE_VIRTUAL_POSITION",
    "UPDATE_POSITION",
    "UPDATE_VIRTUAL_CATALOGUE",
    "UPDATE_VIRTUAL_POSITION",
    "VIRTUAL_CATALOGUE",
    "VIRTUAL_POSITION",
    "make_virtual_catalogue",
    "make_virtual_position",
    "set_position_status",
]

CREATE_POSITION = """mutation($input: CreateInventoryPositionInput) {
    createInventoryPosition(input: $input) { ref status } }"""
UPDATE_POSITION = """mutation($input: UpdateInventoryPositionInput) {
    updateInventoryPosition(input: $input) { ref status } }"""
CREATE_VIRTUAL_CATALOGUE = """mutation($input: CreateVirtualCatalogueInput) {
    createVirtualCatalogue(input: $input) { ref status } }"""
UPDATE_VIRTUAL_CATALOGUE = """mutation($input: UpdateVirtualCatalogueInput) {
    updateVirtualCatalogue(input: $input) { ref status } }"""
CREATE_VIRTUAL_POSITION = """mutation($input: CreateVirtualPositionInput) {
    createVirtualPosition(input: $input) { ref status } }"""
UPDATE_VIRTUAL_POSITION = """mutation($input: UpdateVirtualPositionInput) {
    updateVirtualPosition(input: $input) { ref status } }"""
VIRTUAL_CATALOGUE = """query($r: String!) { virtualCatalogue(ref: $r) {
    ref type status name description inventoryCatalogueRef productCatalogueRef } }"""
VIRTUAL_POSITION = """query($r: String!, $c: String!) { virtualPosition(ref: $r, catalogue: {ref: $c}) {
    ref type status productRef groupRef quantity catalogue { ref } } }"""
POSITION_STATUS = """query($r: String!, $c: String!) { inventoryPosition(ref: $r, catalogue: {ref: $c}) { status } }"""


def make_virtual_catalogue(
    client: TargetClient, ref: str, kind: str, retailer: int, status: str | None = None
) -> dict[str, Any]:
    """A virtual catalogue of ``retailer`` made by createVirtualCatalogue (then set to ``status``), read back."""
    fields = {
        "ref": ref,
        "type": kind,
        "name": f"invharness {ref}",
        "inventoryCatalogueRef": f"DEFAULT:{retailer}",
        "productCatalogueRef": f"PC:MASTER:{retailer}",
        "retailerRefs": [str(retailer)],
    }
    step_data(client, "GQL-VCAT-01", f"createVirtualCatalogue {ref}", CREATE_VIRTUAL_CATALOGUE, input=fields)
    if status is not None:
        change = {"ref": ref, "status": status}
        step_data(client, "GQL-VCAT-01", f"updateVirtualCatalogue {ref}", UPDATE_VIRTUAL_CATALOGUE, input=change)
    stored = step_data(client, "GQL-VCAT-01", f"virtualCatalogue {ref}", VIRTUAL_CATALOGUE, r=ref)["virtualCatalogue"]
    # the status only when the step set it: a target's workflow may move a new catalogue on from CREATED
    wanted = (ref, kind, status)
    if stored is None or (stored["ref"], stored["type"], status and stored["status"]) != wanted:
        raise StepFailed("GQL-VCAT-01", f"virtual catalogue {ref}: made {wanted}, read back {stored}")
    return stored


def make_virtual_position(
    client: TargetClient, catalogue: str, product: str, group: str, quantity: int, status: str | None = None
) -> dict[str, Any]:
    """A virtual position made by createVirtualPosition (then set to ``status``), read back."""
    ref = f"{product}:{group}"
    key = {"ref": ref, "catalogue": {"ref": catalogue}}
    fields = {**key, "type": "BASE", "productRef": product, "groupRef": group, "quantity": quantity}
    step_data(client, "GQL-VPOS-01", f"createVirtualPosition {ref}", CREATE_VIRTUAL_POSITION, input=fields)
    if status is not None:
        change = {**key, "status": status}
        step_data(client, "GQL-VPOS-01", f"updateVirtualPosition {ref}", UPDATE_VIRTUAL_POSITION, input=change)
    stored = step_data(client, "GQL-VPOS-01", f"virtualPosition {ref}", VIRTUAL_POSITION, r=ref, c=catalogue)
    node = stored["virtualPosition"]
    wanted = (ref, status, quantity)  # the status only when the step set it (as for catalogues)
    if node is None or (node["ref"], status and node["status"], node["quantity"]) != wanted:
        raise StepFailed("GQL-VPOS-01", f"virtual position {ref} of {catalogue}: made {wanted}, read back {node}")
    return node


def set_position_status(client: TargetClient, ref: str, catalogue: str, status: str) -> None:
    """updateInventoryPosition's status, read back (GQL-IPOS-02 answers for it)."""
    key = {"ref": ref, "catalogue": {"ref": catalogue}}
    step_data(client, "GQL-IPOS-02", f"updateInventoryPosition {ref}", UPDATE_POSITION, input={**key, "status": status})
    node = step_data(client, "GQL-IPOS-02", f"inventoryPosition {ref}", POSITION_STATUS, r=ref, c=catalogue)
    stored = (node["inventoryPosition"] or {}).get("status")
    if stored != status:
        raise StepFailed("GQL-IPOS-02", f"updateInventoryPosition {ref} to {status}: read back {stored}")
