"""The streaming dataset writer and `invharness generate`."""

import csv
import hashlib
import json

import orjson
import pyarrow.parquet as pq
import pytest

from invharness import contracts
from invharness.cli import main
from invharness.generators.dataset import SNAPSHOT_COLUMNS, DatasetSpec, generate

SMALL = {"seed": 11, "products": 60, "locations": 40, "depth": 3, "positions_per_shard": 700}


def test_same_seed_same_bytes_whatever_the_processes(tmp_path):
    one = generate(DatasetSpec(out=tmp_path / "one", **SMALL), processes=1)
    two = generate(DatasetSpec(out=tmp_path / "two", **SMALL), processes=2)
    assert one["files"] == two["files"] and one["counts"] == two["counts"]
    other = generate(DatasetSpec(out=tmp_path / "other", **{**SMALL, "seed": 12}), processes=2)
    assert other["files"] != one["files"]


def test_every_file_conforms_and_the_manifest_tells_the_truth(tmp_path):
    out = tmp_path / "ds"
    progress = []
    manifest = generate(DatasetSpec(out=out, **SMALL), processes=2, progress=lambda d, t: progress.append((d, t)))
    assert progress[-1] == (2400, 2400) and [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert json.loads((out / "manifest.json").read_text()) == manifest
    for relative, digest in manifest["files"].items():
        assert hashlib.sha256((out / relative).read_bytes()).hexdigest() == digest
    batches = [orjson.loads((out / p).read_bytes()) for p in manifest["files"] if p.startswith("batches/")]
    checker = contracts.validator("batch-create-request")
    assert all(checker.is_valid(b) for b in batches)
    assert all(len(b["entities"]) <= 5000 for b in batches)
    records = sum(len(b["entities"]) for b in batches)
    assert records == manifest["counts"]["records"] and manifest["counts"]["positions"] == 2400
    deltas = [
        orjson.loads(line)
        for p in manifest["files"]
        if p.startswith("deltas/")
        for line in (out / p).read_bytes().splitlines()
    ]
    assert len(deltas) == manifest["counts"]["deltaEvents"] > 0
    assert all(contracts.validator("inventory-delta-event").is_valid(e) for e in deltas)
    delta_ids = [d["deltaId"] for e in deltas for d in e["attributes"]["deltas"]]
    assert len(delta_ids) == len(set(delta_ids)), "deltaIds are unique"
    expected_rows = manifest["counts"]["records"] + manifest["counts"]["transients"]
    csv_rows = [
        row
        for p in manifest["files"]
        if p.endswith(".csv")
        for row in csv.DictReader((out / p).read_text().splitlines())
    ]
    assert len(csv_rows) == expected_rows and tuple(csv_rows[0]) == SNAPSHOT_COLUMNS
    tables = [pq.read_table(out / p) for p in manifest["files"] if p.endswith(".parquet")]
    assert sum(t.num_rows for t in tables) == expected_rows
    assert tables[0].schema.names == list(SNAPSHOT_COLUMNS)


def test_formats_are_chosen_and_checked(tmp_path):
    manifest = generate(DatasetSpec(out=tmp_path / "b", formats=("parquet",), **SMALL), processes=1)
    assert all(p.startswith("snapshot-parquet/") for p in manifest["files"])
    with pytest.raises(ValueError, match=r"unknown format.*xml"):
        DatasetSpec(out=tmp_path, seed=1, products=1, locations=1, formats=("xml",))


def test_generate_command(tmp_path, capsys):
    out = tmp_path / "cli"
    assert main(["generate", "--out", str(out), "--products", "20", "--locations", "10", "--processes", "1"]) == 0
    assert "records of 200 positions" in capsys.readouterr().out
    assert (out / "manifest.json").is_file()
    assert main(["generate", "--out", str(out), "--products", "20"]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert main(["generate", "--out", str(tmp_path / "x"), "--formats", "yaml"]) == 2
    assert "unknown format" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate", "--out", str(tmp_path / "y"), "--products", "0"])


def test_several_retailers_share_the_locations_and_a_batch_holds_one_retailer(tmp_path):
    out = tmp_path / "multi"
    manifest = generate(DatasetSpec(out=out, retailer_ids=(1, 2), **SMALL), processes=1)
    batches = {p: orjson.loads((out / p).read_bytes()) for p in manifest["files"] if p.startswith("batches/")}
    seen = set()
    for path, body in batches.items():
        retailers = {e["retailerId"] for e in body["entities"]}
        assert len(retailers) == 1, path
        (retailer,) = retailers
        assert path.endswith(f"-r{retailer}.json")
        seen.add(retailer)
    assert seen == {1, 2}
    rows = [
        row
        for p in manifest["files"]
        if p.endswith(".csv")
        for row in csv.DictReader((out / p).read_text().splitlines())
    ]
    assert all(row["catalogueRef"] == f"DEFAULT:{row['retailerId']}" for row in rows)
    assert manifest["spec"]["retailer_ids"] == [1, 2]
