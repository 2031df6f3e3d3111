"""The inputs of `invharness validate`: JSON files, NDJSON files (one payload per line, as the delta
files `generate` writes), standard input and directories of them, each with the schema to check it against.

A file is read line by line where it is NDJSON, so a delta file of millions of events is checked in
flat memory; the problems of at most ``SHOWN`` payloads per file are printed, then a count of the rest.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from invharness import contracts

__all__ = ["SHOWN", "InputError", "PayloadFile", "check", "expand", "infer_schema"]

SHOWN = 20
_NDJSON = {".ndjson", ".jsonl"}
_DATASET_SCHEMAS = {"batches": "batch-create-request", "deltas": "inventory-delta-event"}  # generate's folders


class InputError(ValueError):
    """Input that cannot be checked at all (nothing to read, no schema); the message says what to fix."""


@dataclass(slots=True, frozen=True)
class PayloadFile:
    """One file (or standard input, ``-``) and the schema its payloads must conform to."""

    name: str
    schema: str

    @property
    def ndjson(self) -> bool:
        return Path(self.name).suffix.lower() in _NDJSON


def infer_schema(path: Path) -> str | None:
    """The schema of a file that `generate` wrote: batches/*.json and deltas/*.ndjson beside a manifest."""
    folder = path.resolve().parent
    schema = _DATASET_SCHEMAS.get(folder.name)
    dataset = folder.parent
    if schema and ((dataset / "manifest.json").is_file() or any(dataset.glob("manifest.part-*.json"))):
        return schema
    return None


def expand(names: list[str], schema: str | None) -> list[PayloadFile]:
    """The files named (directories: every .json and .ndjson under them, manifests aside), each with its schema."""
    found: list[PayloadFile] = []
    for name in names:
        path = Path(name)
        if name != "-" and path.is_dir():
            members = [
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in {".json", *_NDJSON} and not p.name.startswith("manifest")
            ]
            if not members:
                raise InputError(f"{name}: no .json or .ndjson files under this directory")
        else:
            members = [path]
        for member in members:
            chosen = schema or (None if name == "-" else infer_schema(member))
            if chosen is None:
                raise InputError(f"{member}: which schema? give -s NAME (`invharness schemas` lists them)")
            found.append(PayloadFile(name if name == "-" else str(member), chosen))
    return found


def _payloads(file: PayloadFile) -> Iterator[tuple[str, Any]]:
    """(where, payload) of every payload in the file; ValueError naming the place that is not JSON."""
    if file.name == "-":
        text = sys.stdin.read()
        try:
            yield file.name, json.loads(text)
            return
        except json.JSONDecodeError as exc:
            if "Extra data" not in str(exc):  # more than one document: NDJSON on standard input
                raise ValueError(f"{file.name}: not JSON: {exc}") from None
        lines: Any = iter(text.splitlines())
        yield from _lines(file.name, lines)
        return
    with open(file.name, encoding="utf-8") as handle:
        if file.ndjson:
            yield from _lines(file.name, handle)
        else:
            try:
                yield file.name, json.load(handle)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{file.name}: not JSON: {exc}") from None


def _lines(name: str, lines: Any) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield f"{name}:{number}", json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}:{number}: not JSON: {exc}") from None


def check(file: PayloadFile, out: TextIO, err: TextIO) -> int:
    """Check every payload of ``file``, printing its problems; 0 all conform, 1 some do not, 2 unreadable."""
    checker = contracts.validator(file.schema)
    payloads = failing = 0
    try:
        for where, payload in _payloads(file):
            payloads += 1
            errors = checker.errors(payload)
            if not errors:
                continue
            failing += 1
            if failing <= SHOWN:
                print(f"{where}: {len(errors)} problem(s) against {file.schema}", file=out)
                for error in errors:
                    print(f"  {error}", file=out)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{file.name}: cannot read: {exc}", file=err)
        return 2
    except ValueError as exc:
        print(str(exc), file=err)
        return 2
    if failing > SHOWN:
        print(f"{file.name}: {failing - SHOWN} more payload(s) with problems not shown", file=out)
    if failing:
        print(f"{file.name}: {failing} of {payloads} payload(s) do not conform to {file.schema}", file=out)
        return 1
    what = "conforms" if payloads == 1 and not file.ndjson else f"{payloads} payload(s) conform"
    print(f"{file.name}: {what} to {file.schema}", file=out)
    return 0
