"""The streaming dataset writer and `invharness generate`."""

import csv
import datetime as dt
import hashlib
import json

import orjson
import pyarrow.parquet as pq
import pytest

from invharness import contracts
from invharness.cli import main
from invharness.generators.dataset import (
    SNAPSHOT_COLUMNS,
    DatasetSpec,
    ManifestError,
    Part,
    generate,
    merge_manifests,
    part_manifests,
)

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


def _bytes(directory):
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and not p.name.startswith("manifest")
    }


def test_as_of_dates_the_stock_and_the_same_as_of_gives_the_same_bytes(tmp_path):
    small = {**SMALL, "products": 20, "locations": 10}
    first = generate(DatasetSpec(out=tmp_path / "a", as_of=dt.date(2031, 3, 1), **small), processes=1)
    again = generate(DatasetSpec(out=tmp_path / "b", as_of=dt.date(2031, 3, 1), **small), processes=1)
    later = generate(DatasetSpec(out=tmp_path / "c", as_of=dt.date(2032, 3, 1), **small), processes=1)
    assert first == again and _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    assert first["spec"]["as_of"] == "2031-03-01" and later["files"] != first["files"]
    records = [e for p in _bytes(tmp_path / "a") if p.startswith("batches/") for e in _entities(tmp_path / "a" / p)]
    expiring = [r["attributes"]["expiresOn"] for r in records if "expiresOn" in r.get("attributes", {})]
    assert expiring and all("2031-03-01T" < d < "2033-03-01T" for d in expiring), "stock is current on as_of"


def _entities(path):
    return orjson.loads(path.read_bytes())["entities"]


def test_the_as_of_default_is_today_utc(tmp_path):
    spec = DatasetSpec(out=tmp_path, seed=1, products=1, locations=1)
    assert spec.as_of == dt.datetime.now(dt.UTC).date()


@pytest.mark.parametrize("parts", [3, 5])
def test_n_shards_are_the_one_machine_dataset_split_n_ways(tmp_path, parts):
    spec = {**SMALL, "positions_per_shard": 500, "as_of": dt.date(2026, 12, 2)}  # 2400 positions: 5 shards
    whole = generate(DatasetSpec(out=tmp_path / "whole", **spec), processes=1)
    shared = tmp_path / "parts"
    seen: list[set[str]] = []
    for number in range(1, parts + 1):
        manifest = generate(DatasetSpec(out=shared, **spec), processes=1, part=Part(number, parts))
        seen.append(set(manifest["files"]))
        assert (shared / f"manifest.part-{number}-of-{parts}.json").is_file()
    assert all(a.isdisjoint(b) for i, a in enumerate(seen) for b in seen[i + 1 :]), "the parts are disjoint"
    assert _bytes(shared) == _bytes(tmp_path / "whole"), "together, the same files and bytes"
    assert merge_manifests(part_manifests([shared])) == whole


def test_merging_refuses_parts_that_are_not_one_dataset(tmp_path):
    spec = {**SMALL, "positions_per_shard": 800, "as_of": dt.date(2026, 12, 2)}
    for number in (1, 3):
        generate(DatasetSpec(out=tmp_path / "a", **spec), processes=1, part=Part(number, 3))
    with pytest.raises(ManifestError, match="parts 2 of 3 are missing"):
        merge_manifests(part_manifests([tmp_path / "a"]))
    generate(DatasetSpec(out=tmp_path / "b", **{**spec, "seed": 99}), processes=1, part=Part(2, 3))
    with pytest.raises(ManifestError, match="another dataset"):
        merge_manifests(part_manifests([tmp_path / "a", tmp_path / "b"]))
    with pytest.raises(ManifestError, match="given twice"):
        merge_manifests(part_manifests([tmp_path / "a", tmp_path / "a"]))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError, match="no part manifests"):
        merge_manifests(part_manifests([tmp_path / "empty"]))
    with pytest.raises(ManifestError, match="cannot read"):
        merge_manifests(part_manifests([tmp_path / "nowhere.json"]))


def test_shard_and_merge_commands(tmp_path, capsys):
    common = ["--products", "20", "--locations", "10", "--processes", "1", "--as-of", "2026-12-02"]
    assert main(["generate", "--out", str(tmp_path / "whole"), *common]) == 0
    for number in (1, 2):  # 200 positions are one shard: part 2 of 2 is empty, and says so
        assert main(["generate", "--out", str(tmp_path / f"m{number}"), "--shard", f"{number}/2", *common]) == 0
    assert "part 2 of 2: 0 records" in capsys.readouterr().out
    assert main(["generate", "--out", str(tmp_path / "m1"), "--shard", "1/2", *common]) == 2
    assert "already holds part 1/2" in capsys.readouterr().err
    merged = tmp_path / "merged"
    assert (
        main(["generate", "--merge-manifests", str(tmp_path / "m1"), str(tmp_path / "m2"), "--out", str(merged)]) == 0
    )
    assert "not under" in capsys.readouterr().out, "the files are still on the machines"
    assert (merged / "manifest.json").read_bytes() == (tmp_path / "whole" / "manifest.json").read_bytes()
    assert main(["generate", "--merge-manifests", str(tmp_path / "m1"), "--out", str(tmp_path / "x")]) == 2
    assert "parts 2 of 2 are missing" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["generate", "--out", str(tmp_path / "y"), "--shard", "3/2"])
    assert "1 <= K <= N" in capsys.readouterr().err
