"""report.html: one self-contained page (no external assets) that leads a reader to the failure.

It opens on the outcome and what to do next, then the run's header (target, profile digest, run
id, start, duration, harness and Python versions). The clauses follow in the order a reader needs
them: MUST clauses that fail, SHOULD clauses that fail, clauses not judged (error, blocked,
skipped, not run) with why, those judged by declaration (deviation, unsupported), those not
selected and those that pass (both folded). Each clause links to the checks that prove it; each
check appears once, with its evidence (exchanges, bodies pretty-printed, each with its timing),
and links back to its clauses. A small inline script filters by verdict and group and searches
by clause or text; the filter lives in the URL's fragment (#verdict=fail&group=auth&q=token), so a
filtered view can be linked to.

Everything shown is escaped; evidence is redacted before it gets here.
"""

from __future__ import annotations

import hashlib
import html
import json
from pathlib import Path
from typing import Any

__all__ = ["render", "render_fuzz"]

# the order a reader wants: what is wrong, what could not be judged, what holds
VERDICTS = ("fail", "error", "blocked", "skipped", "untested", "deviation", "unsupported", "pass")
_UNJUDGED = ("error", "blocked", "skipped", "untested")
_COLOURS = {
    "fail": "#cf222e",
    "error": "#9a6700",
    "blocked": "#bc4c00",
    "skipped": "#6e7781",
    "untested": "#953800",
    "deviation": "#8250df",
    "unsupported": "#57606a",
    "pass": "#1a7f37",
}
_OUTCOME_CLASS = {"CONFORMS": "conforms", "DOES NOT CONFORM": "fails", "INCOMPLETE": "incomplete"}


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def check_anchor(test: str) -> str:
    """The HTML id of a check: stable across re-renders, safe whatever the test's name holds."""
    return "check-" + hashlib.blake2b(test.encode(), digest_size=5).hexdigest()


def _badge(verdict: str) -> str:
    return f'<span class="v" style="background:{_COLOURS.get(verdict, "#6e7781")}">{_e(verdict)}</span>'


def render(results: dict[str, Any], line: str, directory: Path | None = None) -> str:
    """The page for ``results`` (as results.json holds them); ``line`` is the outcome sentence
    every report shares; ``directory`` where the reports live (for the commands it suggests)."""
    summary = results["summary"]
    groups_of = {c["id"]: c["group"] for c in results["clauses"]}
    body = "".join(
        [
            _outcome(results, line, directory),
            _header(results),
            _controls(results),
            _clause_sections(results),
            _check_sections(results, groups_of),
        ]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(summary["outcome"])} - invharness run {_e(results["run_id"])}</title>
<style>{_CSS}</style></head><body>
{body}
<script>{_JS}</script>
</body></html>
"""


# ---------------------------------------------------------------------- the top: outcome, next steps, header


def _outcome(results: dict[str, Any], line: str, directory: Path | None) -> str:
    summary = results["summary"]
    kind = _OUTCOME_CLASS.get(summary["outcome"], "incomplete")
    steps = "".join(f"<li>{step}</li>" for step in _next_steps(results, directory))
    stopped = summary.get("stopped")
    stopped = f'<p class="stopped">The run stopped early: {_e(stopped)}</p>' if stopped else ""
    return (
        f'<header id="verdict" class="outcome {kind}" data-outcome="{_e(summary["outcome"])}">'
        f"<h1>{_e(summary['outcome'])}</h1><p class=\"line\">{_e(line)}</p>{stopped}"
        f'<h2>What to do next</h2><ol id="next">{steps}</ol></header>'
    )


def _next_steps(results: dict[str, Any], directory: Path | None) -> list[str]:
    summary = results["summary"]
    rerun = f"<code>invharness verify --last-failed {_e(directory or 'DIR')}{_e(_target_flags(results))}</code>"
    steps = []
    if summary["failed_must"] or (summary["strict"] and summary["failed_should"]):
        steps.append(
            'Read the <a href="#failing-must">MUST clauses that fail</a>: each says what the target should do '
            "and links to the checks that prove it, with the requests and answers exchanged."
        )
        steps.append(
            "Fix the target; or, where it differs on purpose, declare a deviation (clause, reason, expires) "
            "in the profile."
        )
    kinds = {u["verdict"] for u in summary["unjudged_must"]}
    reasons = [u["why"] for u in summary["unjudged_must"]]
    if "blocked" in kinds:
        steps.append("Some checks were blocked by a step that failed: its clause fails above; fix that first.")
    if "skipped" in kinds:
        steps.append(
            'Some checks were skipped: see <a href="#not-judged">why</a> (usually the profile lacks something: '
            "credentials the target accepts, an S3 endpoint, another retailer's user)."
        )
    if "error" in kinds:
        steps.append(
            "The harness failed on some checks (the tracebacks are with their evidence): re-run them; if it "
            "happens again, report it with the traceback."
        )
    if any(r.startswith("not selected") for r in reasons):
        steps.append("This run judged part of the catalogue: run without --group / --clause for a verdict.")
    if summary.get("stopped") or any(r.startswith("not run") for r in reasons):
        steps.append("The run stopped early: fix the cause above and run again.")
    if summary["outcome"] == "CONFORMS":
        warnings = len(summary["warnings"])
        see = f' {warnings} SHOULD clause(s) fail: see <a href="#failing-should">the warnings</a>.' if warnings else ""
        steps.append("Nothing to fix: every MUST clause holds." + see)
    if any(c["verdict"] in ("fail", *_UNJUDGED) for c in results["checks"]):
        steps.append(f"Re-run only the checks that did not pass: {rerun}")
    replay = results.get("run", {}).get("replay")
    if replay:
        steps.append(f"Replay this very run (same refs, same generated inputs): <code>{_e(replay)}</code>")
    return steps


def _target_flags(results: dict[str, Any]) -> str:
    flags = ""
    run = results.get("run", {})
    if results.get("target") and not run.get("embedded"):
        flags += f" --target-url {results['target']}"
    if results.get("profile"):
        flags += f" --profile {results['profile']}"
    return flags


def _header(results: dict[str, Any]) -> str:
    run = results.get("run", {})
    duration = results.get("duration_s")
    rows = [
        ("target", _e(results.get("target") or "unknown") + (" (embedded reference)" if run.get("embedded") else "")),
        ("profile", _e(results.get("profile") or "none (the reference's own values)")),
        ("profile digest", f"<code>{_e(results.get('profile_digest') or '-')}</code>"),
        ("run id", f"<code>{_e(results['run_id'])}</code>"),
        ("started", _e(results.get("started_at") or results.get("started"))),
        ("duration", "-" if duration is None else f"{duration:,.1f} s"),
        ("harness", _e(results.get("harness_version") or run.get("harness_version"))),
        ("python", _e(results.get("python"))),
        ("selection", _e(run.get("selection") or _groups(run) or "every clause group")),
        ("SHOULD clauses", "fail the run (--strict)" if results["summary"]["strict"] else "warnings"),
    ]
    cells = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<section id="run"><h2>Run</h2><dl>{cells}</dl></section>'


def _groups(run: dict[str, Any]) -> str:
    return " ".join(f"--group {g}" for g in run.get("groups") or [])


# ---------------------------------------------------------------------- filters


def _controls(results: dict[str, Any]) -> str:
    counts: dict[str, int] = {}
    for clause in results["clauses"]:
        counts[clause["verdict"]] = counts.get(clause["verdict"], 0) + 1
    boxes = "".join(
        f'<label class="f"><input type="checkbox" name="verdict" value="{v}" checked> {_badge(v)} '
        f"{counts.get(v, 0)}</label>"
        for v in VERDICTS
        if counts.get(v) or any(c["verdict"] == v for c in results["checks"])
    )
    groups = sorted({c["group"] for c in results["clauses"]})
    options = "".join(f'<option value="{_e(g)}">{_e(g)}</option>' for g in groups)
    return (
        '<nav id="controls"><div>clause verdicts: ' + boxes + "</div>"
        '<div><label>group <select id="group"><option value="">every group</option>' + options + "</select></label> "
        '<label>search <input id="search" type="search" placeholder="clause id or any text" size="30"></label> '
        f'<span id="shown">{len(results["clauses"])} clauses, {len(results["checks"])} checks</span></div></nav>'
    )


# ---------------------------------------------------------------------- clauses


def _bucket(clause: dict[str, Any]) -> str:
    verdict = clause["verdict"]
    if verdict == "fail":
        return "failing-must" if clause["severity"] == "MUST" else "failing-should"
    if verdict == "untested" and str(clause.get("why", "")).startswith("not selected"):
        return "not-selected"
    if verdict in _UNJUDGED:
        return "not-judged"
    return "declared" if verdict in ("deviation", "unsupported") else "passing"


_SECTIONS = (
    ("failing-must", "MUST clauses that fail", False),
    ("failing-should", "SHOULD clauses that fail", False),
    ("not-judged", "Clauses not judged, and why", False),
    ("declared", "Judged by the profile's declarations: deviations and features declared off", False),
    ("not-selected", "Clauses this run did not select", True),
    ("passing", "Clauses that hold", True),
)


def _clause_sections(results: dict[str, Any]) -> str:
    by_bucket: dict[str, list[dict[str, Any]]] = {}
    unjudged = {u["id"]: u["why"] for u in results["summary"]["unjudged_must"]}  # results.json before "why"
    for clause in results["clauses"]:
        clause = {"why": unjudged.get(clause["id"], ""), **clause}
        by_bucket.setdefault(_bucket(clause), []).append(clause)
    for rows in by_bucket.values():  # MUST before SHOULD, then by verdict; catalogue order within
        rows.sort(key=lambda c: (c["severity"] != "MUST", VERDICTS.index(c["verdict"])))
    out = []
    strict = results["summary"]["strict"]
    for key, title, folded in _SECTIONS:
        rows = by_bucket.get(key)
        if not rows:
            continue
        if key == "failing-should":
            title += " (they fail the run: --strict)" if strict else " (warnings)"
        out.append(_section(key, f"{title} ({len(rows)})", "".join(_clause(c) for c in rows), folded))
    return "".join(out)


def _section(key: str, title: str, content: str, folded: bool) -> str:
    if folded:
        return (
            f'<section id="{key}" class="bucket"><details class="fold"><summary><h2>{_e(title)}</h2></summary>'
            f"{content}</details></section>"
        )
    return f'<section id="{key}" class="bucket"><h2>{_e(title)}</h2>{content}</section>'


def _clause(clause: dict[str, Any]) -> str:
    declared = ""
    if clause.get("profile"):
        value = "" if clause.get("declared") is None else f" = {clause['declared']}"
        declared = f'<p class="declared">(profile {_e(clause["profile"] + value)})</p>'
    why = clause.get("why") or ""
    # an untested clause has no check to say why; the others' checks say it below
    why_html = f'<p class="why">{_e(why)}</p>' if why and clause["verdict"] == "untested" else ""
    checks = "".join(
        f'<li>{_badge(c["verdict"])} <a href="#{check_anchor(c["test"])}">{_e(c["test"])}</a>'
        + (f'<pre class="message">{_e(c["message"])}</pre>' if c["message"] and c["verdict"] != "pass" else "")
        + "</li>"
        for c in clause["checks"]
    )
    checks_html = f'<ul class="proofs">{checks}</ul>' if checks else ""
    return (
        f'<article class="clause" id="clause-{_e(clause["id"])}" data-verdict="{_e(clause["verdict"])}" '
        f'data-group="{_e(clause["group"])}" data-severity="{_e(clause["severity"])}">'
        f'<h3><a href="#clause-{_e(clause["id"])}">{_e(clause["id"])}</a> {_badge(clause["verdict"])} '
        f'<span class="sev">{_e(clause["severity"])}</span> <span class="grp">{_e(clause["group"])}</span></h3>'
        f'<p class="statement">{_e(clause["statement"])}</p>{declared}{why_html}{checks_html}</article>'
    )


# ---------------------------------------------------------------------- checks and their evidence


def _check_sections(results: dict[str, Any], groups_of: dict[str, str]) -> str:
    checks = sorted(results["checks"], key=lambda c: VERDICTS.index(c["verdict"]) if c["verdict"] in VERDICTS else 0)
    judged = [c for c in checks if c["verdict"] in ("pass", "deviation", "unsupported")]
    others = [c for c in checks if c not in judged]
    out = []
    if others:
        content = "".join(_check(c, groups_of) for c in others)
        out.append(_section("checks-open", f"Evidence of the checks that did not pass ({len(others)})", content, False))
    if judged:
        content = "".join(_check(c, groups_of) for c in judged)
        out.append(_section("checks-passing", f"Evidence of the checks that passed ({len(judged)})", content, True))
    return "".join(out)


def _check(check: dict[str, Any], groups_of: dict[str, str]) -> str:
    clauses = ", ".join(f'<a href="#clause-{_e(c)}">{_e(c)}</a>' for c in check["clauses"])
    groups = " ".join(sorted({groups_of.get(c, "") for c in check["clauses"]}))
    message = f'<pre class="message">{_e(check["message"])}</pre>' if check.get("message") else ""
    trace = check.get("traceback")
    trace_html = f"<details open><summary>traceback</summary><pre>{_e(trace)}</pre></details>" if trace else ""
    exchanges = check.get("exchanges") or []
    failing = check["verdict"] not in ("pass", "deviation", "unsupported")
    shown = "".join(_exchange(e, failing and n == len(exchanges) - 1) for n, e in enumerate(exchanges))
    evidence = f'<div class="exchanges">{shown}</div>' if shown else '<p class="none">no exchange recorded</p>'
    facts = f"seed {_e(check.get('seed', '-'))} · refs …-{_e(check.get('ref_digest', '-'))}-N · {check['phase']}"
    return (
        f'<article class="check" id="{check_anchor(check["test"])}" data-verdict="{_e(check["verdict"])}" '
        f'data-group="{_e(groups)}"><h3>{_badge(check["verdict"])} <code>{_e(check["test"])}</code> '
        f'<span class="ms">{check.get("seconds", 0):.2f} s</span></h3><p>proves {clauses}</p>'
        f'{message}{trace_html}{evidence}<p class="facts">{facts}</p></article>'
    )


def _exchange(exchange: dict[str, Any], open_: bool) -> str:
    status = "no answer" if exchange.get("status") is None else exchange["status"]
    head = f"{_e(exchange['method'])} {_e(exchange['url'])} → {_e(status)} · {exchange.get('ms', 0):,.1f} ms"
    request = exchange.get("request") or ""
    parts = f'<h4>request</h4><pre class="body">{_e(_pretty(request))}</pre>' if request else ""
    parts += f'<h4>response</h4><pre class="body">{_e(_pretty(exchange.get("response") or ""))}</pre>'
    return f'<details class="exchange"{" open" if open_ else ""}><summary>{head}</summary>{parts}</details>'


def _pretty(text: str) -> str:
    """JSON indented; anything else (a form, a cut body, HTML) as it came."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1.5em; color: #1f2328; }
.outcome { border-radius: 8px; padding: 0.5em 1.2em 1em; color: #fff; }
.outcome.fails { background: #cf222e; } .outcome.incomplete { background: #9a6700; }
.outcome.conforms { background: #1a7f37; } .outcome a, .outcome code { color: #fff; }
.outcome h1 { margin: 0.3em 0 0.1em; } .outcome .line { font-size: 1.15em; margin: 0; }
.outcome h2 { font-size: 1em; margin: 1em 0 0.2em; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 1.5em; }
dt { color: #57606a; } dd { margin: 0; overflow-wrap: anywhere; }
#controls { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #d0d7de; padding: 0.5em 0;
  display: flex; flex-direction: column; gap: 0.4em; z-index: 1; }
label.f { margin-right: 0.8em; white-space: nowrap; }
.v { color: #fff; border-radius: 4px; padding: 1px 6px; font-size: 12px; }
article { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.3em 0.9em; margin: 0.6em 0; }
article h3 { font-size: 1em; margin: 0.4em 0; } article p { margin: 0.3em 0; }
.sev, .grp, .ms, .facts, .none { color: #57606a; font-size: 12px; }
.why { color: #953800; } .declared { font-style: italic; }
pre { background: #f6f8fa; padding: 6px 8px; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 12px;
  margin: 0.3em 0; }
details.exchange { margin: 0.2em 0 0.2em 0.5em; } details.exchange summary { font-family: monospace;
  overflow-wrap: anywhere; cursor: pointer; }
details.fold > summary h2 { display: inline; } details.fold > summary { cursor: pointer; }
h4 { margin: 0.3em 0 0; font-size: 12px; color: #57606a; }
[hidden] { display: none !important; }
"""

# filters and search; state in the fragment: #verdict=fail,error&group=auth&q=token
_JS = """
(function () {
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#controls input[name=verdict]'));
  var group = document.getElementById('group'), search = document.getElementById('search');
  var shown = document.getElementById('shown');
  var items = Array.prototype.slice.call(document.querySelectorAll('article[data-verdict]'));
  var texts = items.map(function (el) { return el.textContent.toLowerCase(); });
  function apply(save) {
    var verdicts = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
    var g = group.value, q = search.value.trim().toLowerCase();
    var narrowed = verdicts.length < boxes.length || g || q, clauses = 0, checks = 0;
    items.forEach(function (el, i) {
      var ok = verdicts.indexOf(el.dataset.verdict) >= 0 &&
        (!g || el.dataset.group.split(' ').indexOf(g) >= 0) && (!q || texts[i].indexOf(q) >= 0);
      el.hidden = !ok;
      if (ok) { if (el.classList.contains('clause')) { clauses++; } else { checks++; } }
    });
    document.querySelectorAll('section.bucket').forEach(function (section) {
      var any = section.querySelector('article:not([hidden])') !== null;
      section.hidden = !any;
      var fold = section.querySelector('details.fold');
      if (fold && any && narrowed) { fold.open = true; }
    });
    shown.textContent = clauses + ' clauses, ' + checks + ' checks' + (narrowed ? ' match' : '');
    if (save) {
      var state = [];
      if (verdicts.length < boxes.length) { state.push('verdict=' + verdicts.join(',')); }
      if (g) { state.push('group=' + encodeURIComponent(g)); }
      if (q) { state.push('q=' + encodeURIComponent(q)); }
      try { history.replaceState(null, '', state.length ? '#' + state.join('&') : location.pathname); } catch (e) {}
    }
  }
  function load() {
    var hash = location.hash.replace(/^#/, '');
    if (hash.indexOf('=') < 0) { return false; }  // an anchor (#clause-X), not a filter
    var state = {};
    hash.split('&').forEach(function (part) {
      var kv = part.split('=');
      state[kv[0]] = decodeURIComponent(kv.slice(1).join('='));
    });
    if (state.verdict !== undefined) {
      var wanted = state.verdict.split(',');
      boxes.forEach(function (b) { b.checked = wanted.indexOf(b.value) >= 0; });
    }
    group.value = state.group || '';
    search.value = state.q || '';
    return true;
  }
  boxes.forEach(function (b) { b.addEventListener('change', function () { apply(true); }); });
  group.addEventListener('change', function () { apply(true); });
  search.addEventListener('input', function () { apply(true); });
  if (load()) { apply(false); }
  window.addEventListener('hashchange', function () { if (load()) { apply(false); } });
  // following a link to a clause or check inside a folded section opens it
  function reveal() {
    var target = location.hash.length > 1 && document.getElementById(location.hash.slice(1));
    if (!target) { return; }
    if (target.hidden) { boxes.forEach(function (b) { b.checked = true; }); group.value = ''; search.value = '';
      apply(false); }
    for (var el = target.parentElement; el; el = el.parentElement) {
      if (el.tagName === 'DETAILS') { el.open = true; }
    }
    target.scrollIntoView();
  }
  window.addEventListener('hashchange', reveal);
  reveal();
}());
"""


# ---------------------------------------------------------------------- `invharness fuzz`'s page


def render_fuzz(results: dict[str, Any]) -> str:
    """The page of a fuzz run (its results.json): the failures first, each with the check that failed, the seed
    and a curl reproduction to copy; then the harness's own errors, the run and what was fuzzed."""
    run, findings = results["run"], results["findings"]
    errors = run.get("errors") or []
    total = sum(run["cases"].values())
    if findings:
        kind, title = "fails", f"{len(findings)} failure(s) found"
    else:
        kind, title = ("incomplete", "the harness failed") if errors else ("conforms", "no failures found")
    line = f"{total:,} cases against {run['target']} with seed {run['seed']}"
    body = "".join(
        [
            f'<header id="verdict" class="outcome {kind}" data-outcome="{_e(results["outcome"])}">'
            f'<h1>{_e(title)}</h1><p class="line">{_e(line)}</p>{_fuzz_next(run, findings)}</header>',
            _fuzz_findings(findings, run["seed"]),
            _fuzz_errors(errors),
            _fuzz_run(run, total),
            _section("operations", f"Operations fuzzed ({len(results['operations'])})", _fuzz_list(results), True),
        ]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} - invharness fuzz {_e(run["run_id"])}</title>
<style>{_CSS}{_FUZZ_CSS}</style></head><body>
{body}
<script>{_COPY_JS}</script>
</body></html>
"""


def _copyable(key: str, text: str) -> str:
    return (
        f'<div class="copyable"><button type="button" class="copy" data-for="{key}">copy</button>'
        f'<pre id="{key}" class="cmd">{_e(text)}</pre></div>'
    )


def _fuzz_next(run: dict[str, Any], findings: list[dict[str, Any]]) -> str:
    steps = []
    if findings:
        steps.append(
            'Read the <a href="#findings">failures</a>: each names the check that failed and gives a curl '
            "reproduction; set <code>$TOKEN</code> first (CLIENT_SECRET and PASSWORD from your profile):"
            + _copyable("token-command", run["token_command"])
        )
        steps.append("Fix the target, run the reproduction again, then replay the whole run:")
    else:
        steps.append("Replay this very run (same seed, same cases in the same order):")
    steps[-1] += _copyable("replay", run["replay"])
    return '<h2>What to do next</h2><ol id="next">' + "".join(f"<li>{step}</li>" for step in steps) + "</ol>"


def _fuzz_findings(findings: list[dict[str, Any]], seed: int) -> str:
    if not findings:
        return ""
    articles = []
    for number, finding in enumerate(findings, 1):
        status = "" if finding.get("status") is None else f" · answered {finding['status']}"
        reproduction = finding.get("reproduction") or ""
        repro = _copyable(f"repro-{number}", reproduction) if reproduction else '<p class="none">no request</p>'
        articles.append(
            f'<article class="finding" id="finding-{number}" data-verdict="fail" data-check="{_e(finding["check"])}">'
            f"<h3>{number}. {_badge('fail')} <code>{_e(finding['operation'])}</code> {_e(finding['title'])}</h3>"
            f'<p class="facts">check <code class="check">{_e(finding["check"])}</code> · {_e(finding["source"])}'
            f"{_e(status)} · seed <code>{_e(seed)}</code></p>"
            f'<pre class="message">{_e(finding["message"])}</pre><h4>reproduce</h4>{repro}</article>'
        )
    return _section("findings", f"Failures ({len(findings)})", "".join(articles), False)


def _fuzz_errors(errors: list[str]) -> str:
    if not errors:
        return ""
    items = "".join(f'<pre class="message">{_e(error)}</pre>' for error in errors)
    return _section("errors", f"Harness errors ({len(errors)}): not the target's fault", items, False)


def _fuzz_run(run: dict[str, Any], total: int) -> str:
    cases = ", ".join(f"{n:,} {source}" for source, n in run["cases"].items())
    rows = [
        ("target", _e(run["target"])),
        ("run id", f"<code>{_e(run['run_id'])}</code>"),
        ("seed", f"<code>{_e(run['seed'])}</code>"),
        ("cases", f"{total:,} ({_e(cases)})"),
        ("duration", f"{run['seconds']:,.1f} s, {run.get('cases_per_s', 0):,.1f} cases/s"),
        ("left out", _e(", ".join(run.get("excluded") or []) or "nothing")),
        ("case digests", "<br>".join(f"{_e(k)} <code>{_e(v)}</code>" for k, v in (run.get("digests") or {}).items())),
    ]
    cells = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<section id="run"><h2>Run</h2><dl>{cells}</dl></section>'


def _fuzz_list(results: dict[str, Any]) -> str:
    return "<ul>" + "".join(f"<li><code>{_e(op)}</code></li>" for op in results["operations"]) + "</ul>"


_FUZZ_CSS = """
.copyable { position: relative; } .copyable pre { padding-right: 5em; color: #1f2328; }
button.copy { position: absolute; top: 4px; right: 4px; font-size: 12px; cursor: pointer; }
.outcome ol pre { color: #1f2328; }
"""

# a copy button selects its command (so Ctrl-C works where the clipboard is refused) and copies it
_COPY_JS = """
document.querySelectorAll('button.copy').forEach(function (button) {
  button.addEventListener('click', function () {
    var pre = document.getElementById(button.dataset.for), range = document.createRange();
    range.selectNodeContents(pre);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    function done(ok) { button.textContent = ok ? 'copied' : 'selected: Ctrl-C'; }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(pre.textContent).then(function () { done(true); }, function () { done(false); });
    } else {
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) {}
      done(ok);
    }
  });
});
"""
