"""The contract as data: JSON Schemas, OpenAPI, GraphQL SDL and the clause catalogue.

Single source of truth for every other package; imports nothing of ours.
"""

from invharness.contracts.clauses import Catalogue, Clause, ProfileKey, catalogue, clause, clauses
from invharness.contracts.loader import (
    CONTRACTS_DIR,
    SCHEMAS_DIR,
    ContractError,
    Validator,
    mutant_table,
    openapi,
    schema,
    schema_names,
    schema_uri,
    sdl,
    validator,
)

__all__ = [
    "CONTRACTS_DIR",
    "SCHEMAS_DIR",
    "Catalogue",
    "Clause",
    "ContractError",
    "ProfileKey",
    "Validator",
    "catalogue",
    "clause",
    "clauses",
    "mutant_table",
    "openapi",
    "schema",
    "schema_names",
    "schema_uri",
    "sdl",
    "validator",
]
