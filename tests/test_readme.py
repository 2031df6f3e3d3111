"""The README's commands run, so the README cannot rot.

Every ```sh block of README.md is read line by line. Each ``invharness`` command (also inside the
CI recipe's ```yaml block) is parsed by the real argument parser, so a renamed or removed option
fails here; every other command is checked for obvious rot (a script or locustfile that exists, a
marker that is registered, an extra that is declared). Then the commands run for real, chosen by
the HTML comment on the line before a block:

- no comment: quick; the ``invharness`` and ``curl`` lines run in the normal test run, in README
  order, in one directory holding a copy of examples/ (port 8080 is the embedded reference);
- ``<!-- readme: slow -->``: run with ``-m readme``, each block in a directory of its own; ``moto_server``
  and ``invharness serve`` lines start in the background and stop at the end of the block; ports
  8080 and 9000 become free ports;
- ``<!-- readme: script -->``: the whole block is a bash script run with ``-m readme`` against
  ``invharness serve``; the JSON answers shown in its comments must appear in its output;
- ``<!-- readme: not run -->``: parsed and checked for rot only (remote targets, several machines);
- ``...; needs COMMAND [--OPTION]``: the block is skipped until the parser has that command/option.

A line's expected exit code is the ``exit N`` of its trailing comment, else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from invharness import cli

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MODES = ("quick", "slow", "script", "not run")
SERVING = ("moto_server", "invharness serve")  # run until stopped: started in the background
PORTS = (8080, 9000)  # the README's reference server and its S3
OPERATORS = {"&&", "||", "|", ";"}
SLOW_TIMEOUT_S = 1200  # a full verify on a loaded machine takes a few minutes


@dataclass(slots=True, frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    mode: str
    needs: tuple[str, ...]  # a command and the options the block needs, e.g. ("serve", "--clock-control")

    @property
    def id(self) -> str:
        return f"README.md:{self.line}"


def _blocks() -> list[Block]:
    lines = README.read_text(encoding="utf-8").splitlines()
    found, index = [], 0
    while index < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[index])
        if not fence or not fence.group(1):
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].startswith("```"))
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        mode, needs = "quick", ()
        annotation = re.fullmatch(r"<!-- readme: (.+) -->", before.strip())
        if annotation:
            mode, *rest = [part.strip() for part in annotation.group(1).split(";")]
            for part in rest:
                assert part.startswith("needs "), f"README.md:{index}: unknown readme annotation {part!r}"
                needs = tuple(part.split()[1:])
        assert mode in MODES, f"README.md:{index}: readme annotation {mode!r} is not one of {MODES}"
        found.append(Block(index + 1, fence.group(1), "\n".join(lines[index + 1 : end]), mode, needs))
        index = end + 1
    return found


BLOCKS = _blocks()
SH = [block for block in BLOCKS if block.lang == "sh"]


def _command_lines(text: str) -> list[str]:
    """The command lines of a block: continuations joined, comment-only and blank lines left out."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _simple_commands(line: str) -> list[list[str]]:
    """The simple commands of a line: split at && || | ;, without redirections and VAR=value prefixes."""
    commands, current, tokens = [], [], iter(_tokens(line))
    for token in tokens:
        if token in OPERATORS:
            commands.append(current)
            current = []
        elif token in {">", ">>", "<", "2>"}:
            next(tokens, None)
        elif not current and re.match(r"^[A-Za-z_]\w*=", token):
            continue
        else:
            current.append(token)
    return [command for command in [*commands, current] if command]


def _expected_exit(line: str) -> int:
    comment = line.partition(" # ")[2]
    found = re.search(r"\bexit (\d+)\b", comment)
    return int(found.group(1)) if found else 0


def _missing(needs: tuple[str, ...]) -> str | None:
    """What of ``needs`` the parser lacks (None: nothing)."""
    if not needs:
        return None
    parser = cli.build_parser()
    subcommands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command = subcommands.choices.get(needs[0])
    if command is None:
        return f"`invharness {needs[0]}` is not a command yet"
    absent = [option for option in needs[1:] if option not in command._option_string_actions]
    return f"`invharness {' '.join(needs)}`: {', '.join(absent)} not an option yet" if absent else None


# ------------------------------------------------------------------------------------- parse and rot


def _parse(argv: list[str]) -> None:
    """Parse an invharness command line as the command would; a usage error fails the test."""
    parser = cli.build_parser()
    try:
        parser.parse_args(argv[1:])
    except SystemExit as exc:
        assert exc.code == 0 and ("--help" in argv or "-h" in argv), f"`{shlex.join(argv)}` does not parse"
    # argparse takes a prefix of an option (--max-tim for --max-time): the README spells options in full
    for word in argv[1:]:
        subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subcommands and word in subcommands[0].choices:
            parser = subcommands[0].choices[word]
        elif word.startswith("--"):
            option = word.split("=")[0]
            assert option in parser._option_string_actions, f"`{shlex.join(argv)}`: {option} is not spelled in full"


def _pytest_options() -> set[str]:
    from invharness.suites import plugin

    class Recorder:  # the part of pytest's option parser the plugin's pytest_addoption uses
        def __init__(self):
            self._groups, self._anonymous, self.names = [], None, set()

        def getgroup(self, *_args):
            return self

        def addoption(self, *names, **_kwargs):
            self.names.update(names)

    recorder = Recorder()
    plugin.pytest_addoption(recorder)
    return recorder.names | {"--pyargs", "-p", "-m", "-n", "--dist", "-q", "-x", "-k"}


def _markers() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {marker.split(":")[0] for marker in config["tool"]["pytest"]["ini_options"]["markers"]}


def _check_rot(argv: list[str], variables: dict[str, str]) -> None:
    """What can be checked of a command that is not run: the files it names exist, its names are ours."""
    argv = [re.sub(r"\$(\w+)", lambda m: variables.get(m.group(1), m.group(0)), word) for word in argv]
    program, args, shown = argv[0], argv[1:], shlex.join(argv)
    if program == "invharness":
        _parse(argv)
    elif program in {"python", "python3"}:
        if args[:2] == ["-m", "pip"]:
            extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
            for word in args:
                for extra in re.findall(r"^\.\[([\w,]+)\]$", word)[:1]:
                    assert set(extra.split(",")) <= set(extras), f"`{shown}`: no such extra in pyproject.toml"
        elif args[:2] == ["-m", "pytest"]:
            for flag, value in itertools.pairwise(args[2:]):
                if flag == "-m":
                    names = set(re.findall(r"\w+", value)) - {"not", "and", "or"}
                    assert names <= _markers(), f"`{shown}`: marker not registered in pyproject.toml"
        elif args[:2] == ["-m", "venv"]:
            pass
        else:
            assert (ROOT / args[0]).is_file(), f"`{shown}`: {args[0]} does not exist"
    elif program == "pytest":
        module = args[args.index("--pyargs") + 1]
        assert importlib.util.find_spec(module), f"`{shown}`: {module} is not importable"
        unknown = {word for word in args if word.startswith("-")} - _pytest_options()
        assert not unknown, f"`{shown}`: no such pytest option {sorted(unknown)}"
    elif program == "locust":
        path = Path(args[args.index("-f") + 1])
        assert (path if path.is_absolute() else ROOT / path).is_file(), f"`{shown}`: {path} does not exist"
    elif program == "moto_server":
        assert importlib.util.find_spec("moto.server"), "moto_server: moto is not installed"
    elif program == ".":
        assert args == [".venv/bin/activate"], f"`{shown}`: activate the virtualenv the README creates"
    elif program != "curl":  # curl lines run (quick blocks) or are part of a script (script blocks)
        pytest.fail(f"`{shown}`: teach tests/test_readme.py how to check {program!r} for rot")


def test_readme_blocks_are_annotated_and_the_set_up_comes_first():
    assert SH, "README.md has no ```sh blocks"
    first = _command_lines(SH[0].text)
    assert first[:3] == ["python -m venv .venv && . .venv/bin/activate", *first[1:3]], first
    assert first[1].startswith("python -m pip install -e '.[dev]'") and first[2].startswith("invharness verify ")
    named = re.search(r"The project's own tests: `([^`]+)`", README.read_text(encoding="utf-8"))
    assert named and named[1].startswith("python -m pytest"), "the README names the test command"
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert named[1] in ci_lines, f"...which is exactly what CI runs: {named[1]!r} not a line of .ci/run"
    not_run = [block.id for block in SH if block.mode == "not run"]
    assert len(not_run) <= 4, f"keep the blocks that never run few: {not_run}"


def test_readme_exit_code_table_matches_verify():
    text = README.read_text(encoding="utf-8")
    for code, _meaning in cli.HELP["verify"].exit_codes:
        assert re.search(rf"^\| {code} \|", text, re.MULTILINE), f"exit code {code} missing from the README's table"
    assert re.search(rf"^\| {cli.INTERRUPTED} \|", text, re.MULTILINE)


@pytest.mark.parametrize("block", SH, ids=[block.id for block in SH])
def test_readme_commands_parse_and_name_what_exists(block):
    missing = _missing(block.needs)
    if missing:
        pytest.skip(missing)
    if block.mode == "script":
        # run with -m readme; here its invharness lines (none today) would still be parsed
        for line in _command_lines(block.text):
            if line.startswith("invharness "):
                _parse(_tokens(line))
        return
    variables: dict[str, str] = {}
    for line in _command_lines(block.text):
        assignment = re.fullmatch(r'(\w+)=\$\(python -c "(.*)"\)', line)
        if assignment:  # e.g. LT=$(python -c "...print(a directory)")
            answer = subprocess.run([sys.executable, "-c", assignment.group(2)], capture_output=True, text=True)
            assert answer.returncode == 0, f"`{line}`: {answer.stderr}"
            variables[assignment.group(1)] = answer.stdout.strip()
            continue
        for argv in _simple_commands(line):
            _check_rot(argv, variables)


def test_readme_ci_recipe_parses():
    recipes = [block for block in BLOCKS if block.lang == "yaml" and "jobs:" in block.text]
    assert recipes, "README.md has no CI recipe"
    steps = yaml.safe_load(recipes[0].text)["jobs"]["verify"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]
    verify_lines = [line for script in scripts for line in script.splitlines() if "invharness verify" in line]
    assert verify_lines, "the CI recipe runs invharness verify"
    for line in verify_lines:
        argv = next(argv for argv in _simple_commands(line) if argv[0] == "invharness")
        _parse(argv)
        assert {"--target-url", "--profile", "--report-dir"} <= set(argv), line
    uploaded = " ".join(str(step.get("with", {}).get("path", "")) for step in steps)
    assert "junit.xml" in uploaded and "report.html" in uploaded


# ------------------------------------------------------------------------------------------ running


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the server on port {port} exited with {process.returncode}"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    pytest.fail(f"nothing listens on port {port} after {timeout_s} s")


def _rewrite_ports(text: str, ports: dict[int, int]) -> str:
    return re.sub(r"\b(" + "|".join(map(str, ports)) + r")\b", lambda m: str(ports[int(m.group(1))]), text)


def _workdir(path: Path, ports: dict[int, int]) -> Path:
    """A directory holding a copy of examples/ with the README's ports rewritten."""
    (path / "examples").mkdir(parents=True)
    for example in (ROOT / "examples").iterdir():
        (path / "examples" / example.name).write_text(_rewrite_ports(example.read_text(), ports))
    return path


def _shell_env(bin_dir: Path) -> dict[str, str]:
    """The environment of a README line: this interpreter's invharness, pytest, python and moto first."""
    bin_dir.mkdir(exist_ok=True)
    shims = {
        "invharness": "-m invharness",
        "pytest": "-m pytest",
        "python": "",
        "moto_server": "-m moto.server",
    }
    for name, args in shims.items():
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" {args} "$@"\n')
        shim.chmod(0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "COV_"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def _run_shell(line: str, cwd: Path, env: dict[str, str]) -> None:
    run = subprocess.run(
        ["bash", "-o", "pipefail", "-c", line],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=SLOW_TIMEOUT_S,
    )
    expected = _expected_exit(line)
    assert run.returncode == expected, (
        f"`{line}` exited {run.returncode}, the README says {expected}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    )


def _curl(line: str) -> str:
    """A curl line that fails on an HTTP error, so a 4xx answer is noticed."""
    return re.sub(r"^curl ", "curl --fail -sS ", line)


@contextlib.contextmanager
def _background() -> Iterator[list[subprocess.Popen]]:
    processes: list[subprocess.Popen] = []
    try:
        yield processes
    finally:
        for process in reversed(processes):
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _serve(line: str, cwd: Path, env: dict[str, str], processes: list[subprocess.Popen], log: Path) -> None:
    port = int(re.search(r"(?:--port|-p) (\d+)", line).group(1))
    with log.open("a") as out:
        process = subprocess.Popen(["bash", "-c", f"exec {line}"], cwd=cwd, env=env, stdout=out, stderr=out)
    processes.append(process)
    _wait_for_port(port, process)


def test_readme_quick_commands_run(tmp_path, embedded_target_url, monkeypatch):
    """The quick blocks, in README order, in one directory (8080 is the embedded reference)."""
    ports = {8080: int(embedded_target_url.rsplit(":", 1)[1])}
    work = _workdir(tmp_path / "work", ports)
    env = _shell_env(tmp_path / "bin")
    monkeypatch.chdir(work)
    ran = []
    for block in SH:
        if block.mode != "quick" or _missing(block.needs):
            continue
        for line in _command_lines(_rewrite_ports(block.text, ports)):
            tokens = _tokens(line)
            if tokens[0] == "curl":
                _run_shell(_curl(line), work, env)
            elif tokens[0] != "invharness":
                continue  # checked for rot, not run
            elif any(token in OPERATORS for token in tokens):
                _run_shell(line, work, env)
            else:  # in this process: no interpreter start-up per line
                argv, redirect = tokens[1:], None
                if ">" in argv:
                    argv, redirect = argv[: argv.index(">")], work / argv[argv.index(">") + 1]
                with contextlib.ExitStack() as stack:
                    if redirect:
                        stack.enter_context(contextlib.redirect_stdout(stack.enter_context(redirect.open("w"))))
                    try:
                        code = cli.main(argv)
                    except SystemExit as exc:  # --help
                        code = exc.code
                assert code == _expected_exit(line), f"`{line}` exited {code}, the README says {_expected_exit(line)}"
            ran.append(line)
    assert len(ran) >= 10, ran


SLOW = [block for block in SH if block.mode == "slow"]


@pytest.mark.readme
@pytest.mark.parametrize("block", SLOW, ids=[block.id for block in SLOW])
def test_readme_slow_block_runs(block, tmp_path):
    missing = _missing(block.needs)
    if missing:
        pytest.skip(missing)
    ports = {port: _free_port() for port in PORTS}
    work = _workdir(tmp_path / "work", ports)
    env = _shell_env(tmp_path / "bin")
    with _background() as processes:
        for line in _command_lines(_rewrite_ports(block.text, ports)):
            tokens = _tokens(line)
            if line.startswith(SERVING):
                _serve(line, work, env, processes, tmp_path / "servers.log")
            elif tokens[0] in {"invharness", "pytest"}:
                _run_shell(line, work, env)
            elif tokens[0] == "curl":
                _run_shell(_curl(line), work, env)


SCRIPTS = [block for block in SH if block.mode == "script"]


def _shown_answers(script: str) -> list[object]:
    """The JSON answers a script shows in its comments (``# {...`` continued by ``#   ...``)."""
    answers, current = [], None
    for line in script.splitlines():
        if line.startswith("# {"):
            current = [line[2:]]
            answers.append(current)
        elif line.startswith("#   ") and current is not None:
            current.append(line[4:])
        else:
            current = None
    return [json.loads("".join(parts)) for parts in answers]


@pytest.mark.readme
@pytest.mark.parametrize("block", SCRIPTS, ids=[block.id for block in SCRIPTS])
def test_readme_script_runs_against_serve(block, tmp_path):
    if not all(map(shutil.which, ("curl", "jq"))):
        pytest.skip("needs curl and jq")
    port = _free_port()
    env = _shell_env(tmp_path / "bin")
    script = _rewrite_ports(block.text, {8080: port})
    with _background() as processes:
        _serve(f"invharness serve --port {port}", tmp_path, env, processes, tmp_path / "serve.log")
        run = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=300,
        )
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    shown = _shown_answers(block.text)
    assert shown, "the walk-through shows the answers it expects"
    for answer in shown:
        assert json.dumps(answer, separators=(",", ":")) in run.stdout, f"{answer} not in\n{run.stdout}"

