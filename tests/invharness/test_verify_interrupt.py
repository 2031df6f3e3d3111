"""Ctrl-C during `invharness verify`: the run ends cleanly (exit 130, no traceback) and the reports
say what was judged until then, with the run INCOMPLETE and stopped by the interruption. A Ctrl-C
once every check is judged (the target being torn down, the reports being written, the process
winding down) loses nothing and prints no traceback either."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from invharness.suites.interrupts import held_back

GROUP = "bpp-detection"


def _verify_until(report, seen_enough):
    """Start verify; read its stderr until ``seen_enough(stderr so far)``; answer (process, stderr)."""
    command = [sys.executable, "-m", "invharness", "verify", "--group", GROUP, "--report-dir", str(report)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    seen = b""
    deadline = time.monotonic() + 120
    while not seen_enough(seen) and time.monotonic() < deadline and process.poll() is None:
        seen += process.stderr.read1(4096)
    return process, seen


def _judged(seen):
    """(judged, collected) from the live progress line (``3/20 checks  pass 3``), or (0, None)."""
    found = re.findall(rb"(\d+)/(\d+) checks", seen)
    return (int(found[-1][0]), int(found[-1][1])) if found else (0, None)


def test_ctrl_c_ends_verify_with_partial_reports(tmp_path):
    report = tmp_path / "report"
    process, seen = _verify_until(report, lambda seen: _judged(seen)[0] >= 1)  # the first verdict is in
    process.send_signal(signal.SIGINT)  # to verify alone, as `kill -INT` would
    out, err = process.communicate(timeout=120)
    err = seen + err
    assert process.returncode == 130, (out + err).decode()[-3000:]
    assert b"Traceback" not in out + err
    results = json.loads((report / "results.json").read_text())
    assert results["outcome"] == "INCOMPLETE" and any(c["verdict"] == "pass" for c in results["checks"])
    assert results["summary"]["stopped"] == "interrupted (Ctrl-C)"
    assert b"interrupted (Ctrl-C)" in out


@pytest.mark.parametrize("after_s", [0.0, 0.3, 0.6, 1.0])
def test_ctrl_c_after_the_last_verdict_loses_nothing(tmp_path, after_s):
    report = tmp_path / "report"

    def every_check_judged(seen):
        judged, collected = _judged(seen)
        return collected is not None and judged == collected

    process, seen = _verify_until(report, every_check_judged)
    time.sleep(after_s)  # somewhere in the pytest child's end, the teardown, the reports, the exit
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    err = seen + err
    assert b"Traceback" not in out + err, (out + err).decode()[-3000:]
    results = json.loads((report / "results.json").read_text())  # complete, whatever the moment
    assert len(results["checks"]) == _judged(seen)[1]
    # judged to the end: the verdict's code (INCOMPLETE: one group), or 130 if the child was still
    # finishing; in the interpreter's last steps (signal handlers reset) the signal ends it, which a
    # shell reports as 130 too
    assert process.returncode in (4, 130, -signal.SIGINT), (out + err).decode()[-3000:]


def test_held_back_raises_the_ctrl_c_when_the_block_ends():
    reached_the_end = False
    with pytest.raises(KeyboardInterrupt), held_back():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)  # a Python-level handler runs between bytecodes: it would have raised here
        reached_the_end = True
    assert reached_the_end


def test_held_back_without_reraise_only_notes_it():
    before = signal.getsignal(signal.SIGINT)
    with held_back(reraise=False) as latch:
        assert not latch.arrived()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.01)
    assert latch.arrived() and signal.getsignal(signal.SIGINT) is before
