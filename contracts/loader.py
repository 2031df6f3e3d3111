"""Load the contract files: JSON Schemas (as raw data or compiled validators), OpenAPI, SDL.

Schemas live as standalone files under ``schemas/`` and reference each other by relative path with
no ``$id`` (schemathesis and both validators resolve them that way). Two validators are built from
the same file: jsonschema-rs answers ``is_valid`` on hot paths; python-jsonschema explains failures
in readable, path-qualified messages. Both assert ``format`` (date-time), and a differential test
keeps them agreeing.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "CONTRACTS_DIR",
    "SCHEMAS_DIR",
    "ContractError",
    "Validator",
    "mutant_table",
    "openapi",
    "schema",
    "schema_names",
    "schema_uri",
    "sdl",
    "validator",
]

CONTRACTS_DIR = Path(__file__).resolve().parent
SCHEMAS_DIR = CONTRACTS_DIR / "schemas"
_SUFFIX = ".schema.json"


@dataclass(slots=True, frozen=True)
class ContractError:
    """One reason an instance breaks a schema: where (a JSONPath) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def schema_names() -> list[str]:
    """Every schema's name (its file name without ``.schema.json``), sorted."""
    return sorted(p.name.removesuffix(_SUFFIX) for p in SCHEMAS_DIR.glob(f"*{_SUFFIX}"))


def schema_uri(name: str) -> str:
    """The ``file://`` URI a schema is known by; relative ``$ref``s resolve against it."""
    return _path(name).as_uri()


def schema(name: str) -> dict[str, Any]:
    """The raw schema document ``name`` (a fresh copy; callers may change it)."""
    return json.loads(_path(name).read_text(encoding="utf-8"))


def _path(name: str) -> Path:
    path = SCHEMAS_DIR / f"{name}{_SUFFIX}"
    if not path.is_file():
        known = ", ".join(schema_names())
        raise KeyError(f"no contract schema named {name!r}; known: {known}")
    return path


@functools.cache
def _registry() -> Registry:
    resources = [
        (schema_uri(name), Resource.from_contents(schema(name), default_specification=DRAFT202012))
        for name in schema_names()
    ]
    return Registry().with_resources(resources)


def _retrieve_file(uri: str) -> Any:
    if not uri.startswith("file://"):
        raise ValueError(f"contract schemas reference only local files, not {uri}")
    return schema(Path(uri.removeprefix("file://").split("#", 1)[0]).name.removesuffix(_SUFFIX))


class Validator:
    """A compiled schema: a fast yes/no and, on demand, readable reasons."""

    __slots__ = ("_explainer", "_fast", "name")

    def __init__(self, name: str) -> None:
        self.name = name
        document = schema(name)
        self._fast = jsonschema_rs.validator_for(
            document, base_uri=schema_uri(name), retriever=_retrieve_file, validate_formats=True
        )
        self._explainer = jsonschema.Draft202012Validator(
            {**document, "$id": schema_uri(name)},
            registry=_registry(),
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` conforms (jsonschema-rs: fast enough for a 5,000-record batch)."""
        return self._fast.is_valid(instance)

    def is_valid_explained(self, instance: Any) -> bool:
        """python-jsonschema's verdict: slow; for differential tests and benchmarks."""
        return self._explainer.is_valid(instance)

    def errors(self, instance: Any) -> list[ContractError]:
        """Every reason ``instance`` breaks the schema, most relevant first; empty when it conforms."""
        if self.is_valid(instance):
            return []
        found = sorted(self._explainer.iter_errors(instance), key=jsonschema.exceptions.relevance, reverse=True)
        return [_explain(error) for error in found]

    def explain(self, instance: Any) -> str | None:
        """The single most relevant reason, as ``$.path: message``; None when ``instance`` conforms."""
        if self.is_valid(instance):
            return None
        best = jsonschema.exceptions.best_match(self._explainer.iter_errors(instance))
        return str(_explain(best)) if best is not None else f"$: does not conform to {self.name}"

    def __repr__(self) -> str:
        return f"Validator({self.name!r})"


def _explain(error: jsonschema.ValidationError) -> ContractError:
    # Descend into oneOf/anyOf so the message names the innermost field, not the combinator.
    while error.context:
        error = jsonschema.exceptions.best_match(error.context)
    message = error.message
    shown = repr(error.instance)
    if len(shown) > _MAX_SHOWN:
        # jsonschema quotes the whole instance ("[...5,001 records...] is too long"); name it instead.
        message = message.replace(shown, _describe(error.instance))
    return ContractError(path=error.json_path, message=message)


_MAX_SHOWN = 80


def _describe(instance: Any) -> str:
    if isinstance(instance, list):
        return f"an array of {len(instance):,} items"
    if isinstance(instance, dict):
        return f"an object with {len(instance):,} keys"
    return repr(instance)[: _MAX_SHOWN - 1] + "…"


@functools.cache
def validator(name: str) -> Validator:
    """The compiled validator for schema ``name``, built once per process."""
    return Validator(name)


@functools.cache
def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the REST operations."""
    return yaml.safe_load((CONTRACTS_DIR / "openapi.yaml").read_text(encoding="utf-8"))


@functools.cache
def sdl() -> str:
    """The GraphQL schema definition (SDL) text."""
    return (CONTRACTS_DIR / "schema.graphql").read_text(encoding="utf-8")


@functools.cache
def mutant_table() -> dict[str, list[str]]:
    """Clause id -> the deliberately broken variants of the reference server (mutants) that the
    clause's checks are proven to fail: the plausible bugs a run is known to catch. Kept in
    mutants.yaml, which our tests regenerate from the mutants themselves and compare."""
    return yaml.safe_load((CONTRACTS_DIR / "mutants.yaml").read_text(encoding="utf-8")) or {}
