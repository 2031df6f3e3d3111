"""The invharness command line."""

import argparse
import io
import json
import re
import shutil
import signal
import socket
import subprocess
import sys

import pytest

from invharness import cli, contracts
from invharness.cli import build_parser, main

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


def _subcommands(parser):
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices


def test_help_lists_every_command_with_one_line_and_an_example(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for name in _subcommands(build_parser()):
        assert re.search(rf"^    {name} +\S", out, re.M), f"{name} has no line of its own"
        assert re.search(rf"^  invharness {name}\b", out, re.M), f"{name} has no example"
    assert "exit codes:" in out


def _every_parser(parser, prefix=("invharness",)):
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _every_parser(child, (*prefix, name))


def test_every_subcommand_has_a_description_examples_and_exit_codes():
    checked = 0
    for words, parser in _every_parser(build_parser()):
        if len(words) == 1 or any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
            continue  # the top and `profile` list their commands (checked above)
        text = parser.format_help()
        assert parser.description and len(parser.description) > 30, words
        assert re.search(rf"examples?:\n  {' '.join(words)}\b", text), f"{words}: no example of itself"
        assert re.search(r"exit codes:\n +0 ", text), f"{words}: no exit codes"
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        ([], "choose a command"),
        (["generate", "--products", "0"], "--products: must be at least 1, not 0"),
        (["generate", "--as-of", "tomorrow"], "give a date as YYYY-MM-DD"),
        (["validate"], "required: PATH"),
        (["profile"], "required: ACTION"),
        (["clauses", "--group", "nope"], "invalid choice: 'nope'"),
    ],
)
def test_usage_errors_say_what_to_fix_in_one_line(capsys, argv, says):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and "--help`" in err, err


def test_ctrl_c_in_a_command_is_a_clean_exit(monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_schemas", interrupted)
    assert main(["schemas"]) == cli.INTERRUPTED
    assert capsys.readouterr().err.strip() == "invharness: interrupted"


def test_ctrl_c_stops_serve_without_a_traceback(tmp_path):
    # SIGINT as a terminal sends it (a background process may have inherited it ignored)
    server = subprocess.Popen(
        [sys.executable, "-m", "invharness", "serve", "--port", "0", "--s3-endpoint", "http://127.0.0.1:9"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        lines = []
        for line in server.stdout:  # bounded: the server prints a few lines, then waits
            lines.append(line)
            if "Application startup complete" in line or len(lines) > 50:
                break
        server.send_signal(signal.SIGINT)
        rest, _ = server.communicate(timeout=60)
    finally:
        server.kill()
    output = "".join(lines) + rest
    assert server.returncode == 0, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert "reference server stopped" in output


def test_clauses_json_gives_each_profile_key_its_allowed_and_reference_values(capsys):
    assert main(["clauses", "--json"]) == 0
    listed = {c["id"]: c for c in json.loads(capsys.readouterr().out)}
    keys = contracts.catalogue().profile_keys
    with_keys = [c for c in listed.values() if c["profile"]]
    assert with_keys
    for clause in with_keys:
        key = keys[clause["profile"]]
        assert clause["profile_key"]["values"] == (None if key.values is None else list(key.values))
        assert clause["profile_key"]["reference"] == key.reference
    lifetime = next(c for c in with_keys if c["profile"] == "job.lifetime")["profile_key"]
    assert lifetime["values"] == ["midnight_utc", "24h"] and lifetime["reference"] == "midnight_utc"
    assert all("profile_key" not in c for c in listed.values() if not c["profile"])


def _dataset(tmp_path):
    from invharness.generators.dataset import DatasetSpec, generate

    out = tmp_path / "ds"
    generate(DatasetSpec(out=out, seed=3, products=10, locations=10, formats=("batches", "deltas")), processes=1)
    return out


def test_validate_reads_ndjson_and_names_the_line(tmp_path, capsys):
    events = sorted((_dataset(tmp_path) / "deltas").glob("*.ndjson"))[0]
    count = len(events.read_text().splitlines())
    assert main(["validate", "-s", "inventory-delta-event", str(events)]) == 0
    assert f"{count} payload(s) conform to inventory-delta-event" in capsys.readouterr().out
    broken = json.loads(events.read_text().splitlines()[0])
    del broken["entityRef"]
    with events.open("a") as handle:
        handle.write("\n" + json.dumps(broken) + "\n")  # a blank line between is allowed
    assert main(["validate", "-s", "inventory-delta-event", str(events)]) == 1
    out = capsys.readouterr().out
    assert f"{events}:{count + 2}: 1 problem(s)" in out and "'entityRef' is a required property" in out
    assert f"1 of {count + 1} payload(s) do not conform" in out
    with events.open("a") as handle:
        handle.write("{oops\n")
    assert main(["validate", "-s", "inventory-delta-event", str(events)]) == 2
    assert f"{events}:{count + 3}: not JSON" in capsys.readouterr().err


def test_validate_reads_a_directory_and_infers_a_datasets_schemas(tmp_path, capsys):
    out = _dataset(tmp_path)
    assert main(["validate", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "conforms to batch-create-request" in printed and "conform to inventory-delta-event" in printed
    files = list(out.rglob("*.json")) + list(out.rglob("*.ndjson"))
    assert f"{len(files) - 1} file(s) checked; all conform" in printed, "every payload file, the manifest aside"
    batch = sorted((out / "batches").glob("*.json"))[0]
    body = json.loads(batch.read_text())
    body["entities"][0]["qty"] = -5
    batch.write_text(json.dumps(body))
    assert main(["validate", str(out)]) == 1
    assert f"{batch}: 1 problem(s) against batch-create-request" in capsys.readouterr().out
    loose = tmp_path / "loose"
    loose.mkdir()
    (loose / "a.json").write_text("{}")
    assert main(["validate", str(loose)]) == 2
    assert "which schema? give -s NAME" in capsys.readouterr().err
    assert main(["validate", "-s", "job", str(tmp_path / "ds" / "snapshot-csv")]) == 2
    assert main(["validate", "-s", "job", str(tmp_path / "empty-dir-that-is-not-there")]) == 2


def test_validate_reads_ndjson_on_standard_input(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"id": "1"}\n{"id": "2"}\n{"id": 3}\n'))
    assert main(["validate", "-s", "id-response", "-"]) == 1
    assert "-:3: 1 problem(s)" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("invharness") is None, reason="the package is not installed")
def test_console_script_is_installed():
    result = subprocess.run(["invharness", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("invharness ")


def test_serve_on_a_port_in_use_says_so_in_one_line(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port), "--s3-endpoint", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "choose another --port" in err and err.count("\n") == 1


HEAVY = ("invharness.reference_impl.server", "invharness.fuzz", "invharness.verify", "schemathesis", "pyarrow")


@pytest.mark.parametrize(
    ("argv", "needed"),
    [
        (["--help"], ()),
        (["clauses", "--json"], ()),
        (["serve", "--help"], ("invharness.reference_impl.server", "pyarrow")),  # the server writes Parquet feeds
        (["fuzz", "--help"], ("invharness.fuzz", "schemathesis")),
    ],
)
def test_a_command_imports_only_what_it_runs(argv, needed):
    script = (
        "import contextlib, io, sys\n"
        "from invharness.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main({argv!r})\n"
        "    except SystemExit: pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == str(sorted(needed)), "a command must not wait for the other commands' imports"


def test_the_top_level_help_lists_every_command_with_its_summary(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed and cli.HELP[name].summary.split()[0] in listed for name in cli.HELP)
    assert cli._named_command(["--version"]) == "" and cli._named_command(["verify", "--group", "x"]) == "verify"
