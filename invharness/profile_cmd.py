"""`invharness profile init` and `invharness profile check`: profiles written without reading code.

``init`` writes a YAML profile with every key set to the reference server's value, each commented
with what it means and, for the declared answers to the open questions, the allowed values from
contracts/clauses.yaml. With --from-target it first asks the target what it can be asked (do the
demo credentials work? does it let the harness move its clock?). ``check`` names every problem of
a profile (suites/profile_check.py) without running anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from invharness import contracts
from invharness.suites.profile import FEATURES, ProfileError, TargetProfile, load_profile
from invharness.suites.profile_check import SCHEMA, kind, problems

__all__ = ["Probe", "add_arguments", "probe", "render"]

VALID, PROBLEMS, USAGE = 0, 1, 2
_PROBE_TIMEOUT_S = 5.0


@dataclass(slots=True, frozen=True)
class Probe:
    """What a target answered to the questions `profile init --from-target` asks it."""

    url: str
    demo_credentials: bool
    clock_control: bool


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, title="actions")
    init = actions.add_parser(
        "init",
        help="write a profile with every key, its allowed values and the reference's value",
        description="Write a commented profile: every key with the reference server's value, what it means "
        "and, for declared answers, the allowed values. Edit what your target does differently.",
        epilog="examples:\n  invharness profile init --out vendor.yaml\n"
        "  invharness profile init --from-target http://127.0.0.1:8080 --out served.yaml\n\n"
        "exit codes:\n  0  written\n  2  bad usage, the file exists, or the target cannot be reached\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    init.add_argument(
        "--from-target",
        metavar="URL",
        help="ask this target whether the demo credentials work and whether it offers clock control",
    )
    init.add_argument("--out", type=Path, metavar="FILE", help="where to write (default: standard output)")
    init.add_argument("--overwrite", action="store_true", help="replace FILE if it exists")
    init.set_defaults(run=_init)
    check = actions.add_parser(
        "check",
        help="validate a profile: shape, allowed values, unknown keys, deviations",
        description="Check a profile without running anything: its shape, the declared answers against the "
        "allowed values of the clause catalogue, unknown keys (with a did-you-mean), features and deviations.",
        epilog="examples:\n  invharness profile check vendor.yaml\n"
        "  invharness profile check examples/profile-*.yaml\n\n"
        "exit codes:\n  0  every profile is valid\n  1  a profile has problems (each named)\n"
        "  2  a file cannot be read or is not YAML\n",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("files", nargs="+", type=Path, metavar="FILE", help="profile files (YAML)")
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    status = VALID
    for path in args.files:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, yaml.YAMLError) as exc:  # ValueError: a date like 2027-13-01
            print(f"{path}: cannot read the profile: {' '.join(str(exc).split())}", file=sys.stderr)
            status = USAGE
            continue
        found = problems(raw)
        if not found:
            try:
                profile = load_profile(path)
            except ProfileError as exc:  # the loader's own rules, should they ever say more than ours
                found = [str(exc)]
        if found:
            status = max(status, PROBLEMS)
            print(f"{path}: {len(found)} problem(s)")
            for problem in found:
                print(f"  {problem}")
            continue
        deviations = f", {len(profile.deviations)} deviation(s)" if profile.deviations else ""
        print(f"{path}: a valid profile ({len(profile.declared)} declared answer(s){deviations})")
    return status


def _init(args: argparse.Namespace) -> int:
    if args.out is not None and args.out.exists() and not args.overwrite:
        print(f"invharness profile init: {args.out} exists; choose another --out or pass --overwrite", file=sys.stderr)
        return USAGE
    found = None
    if args.from_target:
        try:
            found = probe(args.from_target)
        except OSError as exc:
            print(f"invharness profile init: cannot reach {args.from_target}: {exc}", file=sys.stderr)
            return USAGE
    text = render(found)
    if args.out is None:
        sys.stdout.write(text)
        return VALID
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: written; edit it, then `invharness profile check {args.out}`", file=sys.stderr)
    return VALID


def probe(url: str) -> Probe:
    """Ask the target at ``url`` for a token with the demo credentials, and whether POST /_invharness/clock
    (advance 0 s: nothing moves) is offered. OSError when it cannot be reached."""
    import requests

    base = url.rstrip("/")
    defaults = TargetProfile()
    token_params = {
        "username": defaults.username,
        "password": defaults.password,
        "client_id": defaults.client_id,
        "client_secret": defaults.client_secret,
        "grant_type": "password",
        "scope": "api",
    }
    try:
        answer = requests.post(f"{base}/oauth/token", data=token_params, timeout=_PROBE_TIMEOUT_S)
        token = answer.json().get("access_token") if answer.status_code == 200 else None
        clock = False
        if token:
            moved = requests.post(
                f"{base}/_invharness/clock",
                json={"advance_s": 0},
                headers={"Authorization": f"Bearer {token}"},
                timeout=_PROBE_TIMEOUT_S,
            )
            clock = moved.status_code == 200
    except requests.RequestException as exc:
        raise OSError(str(exc).split("(Caused by")[0].strip()) from None
    except ValueError:  # the token answer is not JSON: not a target of this kind, or not its root URL
        token, clock = None, False
    return Probe(url, bool(token), clock)


def _flow(value: Any) -> str:
    """``value`` as one line of YAML (quoted where YAML would read it otherwise, e.g. "on")."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10**6).strip()
    return text.removesuffix("...").strip()


def _comment(text: str) -> str:
    return f"  # {text}" if text else ""


def render(found: Probe | None = None, today: dt.date | None = None) -> str:
    """The commented profile ``init`` writes: the reference's values, adjusted to what ``found`` learnt."""
    defaults = TargetProfile()
    sections = SCHEMA["properties"]
    today = today or dt.date.today()
    lines = [
        "# invharness target profile, written by `invharness profile init`.",
        "# Every key is optional: what you leave out takes the reference server's value (shown here).",
        "# Check it with `invharness profile check FILE`; use it with `invharness verify --profile FILE`.",
    ]
    if found is not None:
        refused = "REFUSED (put the target's own below)"
        lines.append(
            f"# Probed {found.url} on {today}: demo credentials {'work' if found.demo_credentials else refused}; "
            f"clock control {'offered' if found.clock_control else 'not offered'}."
        )
    secret = "secrets never appear in reports; prefer a file only you can read"
    credentials = {
        "client_id": defaults.client_id,
        "client_secret": defaults.client_secret,
        "username": defaults.username,
        "password": defaults.password,
    }
    if found is not None and not found.demo_credentials:
        credentials = {k: "CHANGE-ME" for k in credentials}
    lines += ["", f"# {sections['credentials']['description']}", "credentials:"]
    lines += [
        f"  {k}: {_flow(v)}{_comment(secret if k in ('client_secret', 'password') else '')}"
        for k, v in credentials.items()
    ]
    lines += [
        "",
        f"# {sections['other_user']['description']}",
        "other_user:",
        f"  username: {_flow(defaults.other_username)}",
        f"  password: {_flow(defaults.other_password)}",
    ]
    lines += ["", f"account_id: {_flow(defaults.account_id)}  # {sections['account_id']['description']}"]
    lines += [
        "",
        f"# {sections['retailers']['description']}",
        "retailers:",
        f"  primary: {defaults.primary_retailer}",
        f"  secondary: {defaults.secondary_retailer}",
    ]
    lines += [
        "",
        f"# {sections['s3']['description']} Leave endpoint out for a target without feeds.",
        "s3:",
        "  # endpoint: http://127.0.0.1:9000",
        f"  region: {defaults.s3_region}",
    ]
    lines += [
        "",
        f"# {sections['timeouts']['description']} Seconds.",
        "timeouts:",
        f"  request_s: {defaults.request_timeout_s:g}  # one HTTP request",
        f"  batch_s: {defaults.batch_timeout_s:g}  # a batch to reach COMPLETE",
        f"  poll_s: {defaults.poll_interval_s:g}  # between two polls",
    ]
    lines += ["", f"# {sections['features']['description']}", "features:"]
    for name, what in FEATURES.items():
        on = found.clock_control if found is not None and name == "clock_control" else defaults.supports(name)
        lines.append(f"  {name}: {_flow(on)}  # {what}")
    lines += [
        "",
        "# Answers to the open questions (SPEC §13): what your target does where the contract leaves a",
        "# choice. The value shown is the reference server's; the checks judge your target by yours.",
        "declared:",
    ]
    for key in contracts.catalogue().profile_keys.values():
        values = (
            f"any {kind(key.reference).removeprefix('a ')}"
            if key.values is None
            else " | ".join(_flow(v) for v in key.values)
        )
        lines += [
            f"  # {key.question}: {key.description}",
            f"  # allowed: {values}",
            f"  {key.key}: {_flow(key.reference)}",
        ]
    lines += [
        "",
        f"# {sections['deviations']['description']} The clause then reads deviation, not fail,",
        "# until the date passes. For example:",
        '#   - {clause: BPP-PREC-12, reason: "SKIP is read as skip", expires: 2027-01-31}',
        "deviations: []",
        "",
    ]
    return "\n".join(lines)
