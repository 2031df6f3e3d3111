"""Valid example payloads for every contract schema.

The documentation's own examples are pulled from ../shared (see seed_examples); the small shapes
SPEC.md quotes inline, and our own examples for payloads the sources never show, are written here.
"""

from __future__ import annotations

import copy
from typing import Any

INLINE: dict[str, list[Any]] = {
    "error": [
        {"errors": [{"code": "400", "message": "'name' is required"}]},
        {"errors": [{"code": "NotNull", "message": "'retailerId' is required"}]},
        {
            "errors": [
                {"code": "401", "message": "Invalid user, Authorization header value does not belong to a valid user"}
            ]
        },
        {"errors": [{"code": "InvalidInput", "message": "Logged in user has no retailer"}]},
        {"errors": [{"code": "400", "message": "Job 199 is closed"}]},
    ],
    "token-error": [
        {"error": "invalid_grant", "error_description": "Bad credentials"},
        {"error": "invalid_grant", "error_description": "Invalid refresh token"},
    ],
    "token-request": [
        {
            "username": "admin",
            "password": "admin",
            "client_id": "DEMO",
            "client_secret": "demo-secret",
            "grant_type": "password",
            "scope": "api",
        },
        {
            "client_id": "DEMO",
            "client_secret": "demo-secret",
            "grant_type": "refresh_token",
            "refresh_token": "3f1c0c1e-refresh",
        },
    ],
    "token-response": [
        {
            "access_token": "a1b2c3",
            "token_type": "bearer",
            "expires_in": 86386,
            "scope": "api",
            "Retailer_id": "1",
            "refresh_token": "r-1",
            "FirstName": "Ada",
        },
    ],
    "event-sync-response": [
        {"eventId": "5c1d3a2e-9a5b-4c0e-8f5e-2b7d9c1a4e6f", "entityId": "143", "eventStatus": "COMPLETE"},
        {
            "eventId": "5c1d3a2e-9a5b-4c0e-8f5e-2b7d9c1a4e6f",
            "eventStatus": "NO_MATCH",
            "errorMessage": "No ruleset matches event MyEvent",
        },
    ],
    "event-async-response": [{"id": "5c1d3a2e-9a5b-4c0e-8f5e-2b7d9c1a4e6f", "eventStatus": "PENDING"}],
    "event": [
        {
            "name": "InventoryChanged",
            "retailerId": 1,
            "entityType": "INVENTORY_POSITION",
            "entityRef": "SKU1:LOC1:DEFAULT",
            "rootEntityType": "INVENTORY_CATALOGUE",
            "rootEntityRef": "DEFAULT:1",
            "attributes": {"qty": 10},
        },
    ],
    "event-read": [
        {
            "id": "5c1d3a2e-9a5b-4c0e-8f5e-2b7d9c1a4e6f",
            "name": "InventoryChanged",
            "type": "ORCHESTRATION",
            "accountId": "DEMO",
            "retailerId": "1",
            "category": "ORCHESTRATION",
            "context": {
                "sourceEvents": [],
                "entityType": "INVENTORY_POSITION",
                "entityRef": "SKU1:LOC1:DEFAULT",
                "rootEntityType": "INVENTORY_CATALOGUE",
                "rootEntityRef": "DEFAULT:1",
                "entityId": None,
                "rootEntityId": None,
            },
            "eventStatus": "COMPLETE",
            "attributes": {"qty": 10},
            "source": "batch:331",
            "generatedBy": "admin",
            "generatedOn": "2026-11-23T10:00:00.000+0000",
        },
    ],
    "setting": [
        {
            "id": "7",
            "name": "fc.enable.batch.preprocessing",
            "valueType": "BOOLEAN",
            "value": "TRUE",
            "lobValue": None,
            "context": "ACCOUNT",
            "contextId": 0,
        },
    ],
    "setting-input": [
        {
            "name": "fc.enable.batch.preprocessing",
            "valueType": "BOOLEAN",
            "value": "TRUE",
            "context": "ACCOUNT",
            "contextId": 0,
        },
        {
            "name": "fc.enable.batch.preprocessing",
            "valueType": "BOOLEAN",
            "value": "false",
            "context": "RETAILER",
            "contextId": 2,
        },
        {
            "name": "my.json.setting",
            "valueType": "JSON",
            "lobValue": {"a": [1, 2]},
            "context": "ACCOUNT",
            "contextId": 0,
        },
    ],
    # createInventoryPosition's and updateInventoryPosition's variables (Fluent's input names)
    "inventory-position-input": [
        {
            "ref": "SKU1:LOC1:DEFAULT",
            "catalogue": {"ref": "DEFAULT:1"},
            "type": "DEFAULT",
            "productRef": "SKU1",
            "locationRef": "LOC1",
        },
        {"ref": "SKU1:LOC1:DEFAULT", "catalogue": {"ref": "DEFAULT:1"}, "status": "INACTIVE"},
    ],
    "virtual-catalogue-input": [
        {
            "ref": "BASE:7",
            "type": "BASE",
            "name": "Base",
            "inventoryCatalogueRef": "DEFAULT:7",
            "productCatalogueRef": "PC:MASTER:7",
            "retailerRefs": ["7"],
            "attributes": [{"name": "controlGroups", "type": "JSON", "value": ["CG1"]}],
        },
        {"ref": "AGG:7", "status": "ACTIVE", "networkIds": ["1", "2"]},
    ],
    "virtual-position-input": [
        {
            "ref": "SKU1:LOC1",
            "catalogue": {"ref": "BASE:7"},
            "type": "BASE",
            "productRef": "SKU1",
            "groupRef": "LOC1",
            "quantity": 12,
        },
        {"ref": "SKU1:LOC1", "catalogue": {"ref": "BASE:7"}, "status": "AT_RISK", "quantity": 2},
    ],
    # SPEC §9.2 and §9.3 examples A and B, as GraphQL variables.
    "feed-input": [
        {
            "ref": "Example_Inventory_Feed",
            "dataFormat": "PARQUET",
            "destination": {
                "type": "AWS_S3",
                "destinationAttributes": [
                    {"key": "AWS_ACCOUNT_ID", "value": "123456789012"},
                    {"key": "AWS_S3_BUCKET_NAME", "value": "inventory-exports"},
                ],
            },
            "source": {
                "type": "INVENTORY_POSITION",
                "filters": [
                    {"name": "STATUS", "operator": "EQUAL_TO", "value": "ACTIVE"},
                    {"name": "CATALOGUE_REF", "operator": "IN", "value": ["DEFAULT:1", "DEFAULT:67"]},
                ],
            },
        },
        {
            "ref": "vp-at-risk",
            "destination": {
                "type": "AWS_S3",
                "destinationAttributes": [
                    {"key": "AWS_S3_BUCKET_NAME", "value": "inventory-exports"},
                    {"key": "AWS_ACCOUNT_ID", "value": "123456789012"},
                ],
            },
            "source": {
                "type": "VIRTUAL_POSITION",
                "filters": [
                    {"name": "STATUS", "operator": "EQUAL_TO", "value": "AT_RISK"},
                    {"name": "CATALOGUE_REF", "operator": "IN", "value": ["BASE:1", "AGGREGATE:1"]},
                ],
            },
        },
        {
            "ref": "everything",
            "destination": {
                "type": "AWS_S3",
                "destinationAttributes": [
                    {"key": "AWS_ACCOUNT_ID", "value": "123456789012"},
                    {"key": "AWS_S3_BUCKET_NAME", "value": "b"},
                ],
            },
            "source": {"type": "INVENTORY_CATALOGUE"},
        },
    ],
    "feed": [
        {
            "id": "1",
            "ref": "Example_Inventory_Feed",
            "name": None,
            "status": "CREATED",
            "dataFormat": "PARQUET",
            "source": {
                "type": "INVENTORY_POSITION",
                "filters": [{"name": "STATUS", "operator": "EQUAL_TO", "value": "ACTIVE"}],
            },
            "destination": {
                "type": "AWS_S3",
                "destinationAttributes": [
                    {"key": "AWS_ACCOUNT_ID", "value": "123456789012"},
                    {"key": "AWS_S3_BUCKET_NAME", "value": "inventory-exports"},
                ],
            },
            "attributes": [{"name": "S3_BUCKET_POLICY", "type": "JSON", "value": '{"Version": "2012-10-17"}'}],
            "createdOn": "2026-11-23T10:00:00Z",
            "updatedOn": None,
        },
    ],
    "feed-run": [
        {
            "ref": "Example_Inventory_Feed-000001",
            "feed": {"ref": "Example_Inventory_Feed"},
            "status": "SUCCESS",
            "runType": "FULL",
            "recordCount": 1200,
            "errorMessage": None,
            "startedOn": "2026-11-23T10:00:00Z",
            "completedOn": "2026-11-23T10:00:02.5Z",
            "fileLocation": "s3://inventory-exports/Example_Inventory_Feed/Example_Inventory_Feed-000001.parquet",
        },
        {
            "ref": "Example_Inventory_Feed-000002",
            "feed": {"ref": "Example_Inventory_Feed"},
            "status": "FAILED",
            "runType": "INCREMENTAL",
            "recordCount": None,
            "errorMessage": "AccessDenied on PutObject",
            "startedOn": "2026-11-23T10:05:00Z",
            "completedOn": "2026-11-23T10:05:01Z",
            "fileLocation": None,
        },
    ],
    "feed-row": [
        {
            "sourceType": "INVENTORY_POSITION",
            "ref": "SKU1:LOC1:DEFAULT",
            "type": "DEFAULT",
            "status": "ACTIVE",
            "catalogueRef": "DEFAULT:1",
            "productRef": "SKU1",
            "locationRef": "LOC1",
            "groupRef": None,
            "quantity": 167,
            "updatedOn": "2026-11-23T10:00:00Z",
        },
        {
            "sourceType": "VIRTUAL_POSITION",
            "ref": "BASE:1:SKU1:LOC1",
            "type": "BASE",
            "status": "AT_RISK",
            "catalogueRef": "BASE:1",
            "productRef": "SKU1",
            "groupRef": "LOC1",
            "quantity": 0,
        },
    ],
    "segment-attributes": [
        {"countryOfOrigin": "AU", "manufacturerBatchNumber": "MBN1", "expiresOn": "2026-09-30T23:59:59Z"},
        {
            "parentRef": "PRDREF1:LOCREF1:DEFAULT:ON_ORDER:1",
            "associationType": "IN_TRANSIT",
            "associationRef": "ITREF1",
            "expectedOn": "2026-03-01T00:00:00Z",
            "segment1": "PROMO",
            "custom": {"nested": [1, 2, {"x": None}]},
        },
    ],
}


def _single_entity_batches(batch: dict[str, Any]) -> list[Any]:
    return [copy.deepcopy(e) for e in batch["entities"]]


def derived(by_schema: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """Examples for schemas that are parts or wholes of others (entities of batches, and so on)."""
    extra: dict[str, list[Any]] = {
        "inventory-entity": [],
        "batch-envelope": [],
        "event-request": [],
        "event-search-response": [],
    }
    for batch in by_schema.get("batch-create-request", []):
        extra["inventory-entity"] += _single_entity_batches(batch)
        extra["batch-envelope"].append(copy.deepcopy(batch))
    extra["event-request"] += [copy.deepcopy(e) for e in by_schema.get("inventory-delta-event", [])]
    extra["event-request"] += [copy.deepcopy(e) for e in by_schema.get("event", [])]
    extra["event-search-response"].append(
        {"start": 0, "count": 100, "hasMore": False, "results": copy.deepcopy(by_schema.get("event-read", []))}
    )
    return extra
