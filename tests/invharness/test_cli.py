"""The invharness command line."""

import json
import shutil
import subprocess
import sys

import pytest

from invharness import contracts
from invharness.cli import main

GOOD_BATCH = {
    "action": "UPSERT",
    "entityType": "INVENTORY",
    "entities": [{"locationRef": "LOC_1", "skuRef": "SKU_1", "qty": 500, "retailerId": 1}],
}


def test_validate_accepts_a_conforming_file(tmp_path, capsys):
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(GOOD_BATCH))
    assert main(["validate", "--schema", "batch-create-request", str(path)]) == 0
    assert "conforms to batch-create-request" in capsys.readouterr().out


def test_validate_lists_every_problem_with_its_path(tmp_path, capsys):
    bad = json.loads(json.dumps(GOOD_BATCH))
    bad["entities"][0]["qty"] = -1
    del bad["entities"][0]["skuRef"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    assert main(["validate", "-s", "batch-create-request", str(path)]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s)" in out
    assert "$.entities[0].qty: -1 is less than the minimum of 0" in out
    assert "'skuRef' is a required property" in out


def test_validate_reads_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO('{"id": "199"}'))
    assert main(["validate", "-s", "id-response", "-"]) == 0


def test_validate_says_why_input_is_unreadable(tmp_path, capsys):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    assert main(["validate", "-s", "job", str(path)]) == 2
    assert "not JSON" in capsys.readouterr().err
    assert main(["validate", "-s", "job", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_unknown_schema_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["validate", "-s", "nope", "x.json"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_clauses_json_is_the_catalogue(capsys):
    assert main(["clauses", "--json", "--group", "bpp-precedence"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in listed] == [c.id for c in contracts.clauses("bpp-precedence")]
    assert {"id", "severity", "statement", "source", "profile"} <= set(listed[0])


def test_clauses_table_counts(capsys):
    assert main(["clauses"]) == 0
    assert f"{len(contracts.clauses())} clause(s)" in capsys.readouterr().out


def test_schemas_lists_every_schema(capsys):
    assert main(["schemas"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in contracts.schema_names())


def test_help_teaches_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "examples:" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("invharness") is None, reason="the package is not installed")
def test_console_script_is_installed():
    result = subprocess.run(["invharness", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("invharness ")
