"""Ctrl-C during `invharness verify`: the run ends cleanly (exit 130, no traceback) and the reports
say what was judged until then, with the run INCOMPLETE and stopped by the interruption."""

import json
import signal
import subprocess
import sys
import time


def test_ctrl_c_ends_verify_with_partial_reports(tmp_path):
    report = tmp_path / "report"
    command = [sys.executable, "-m", "invharness", "verify", "--group", "bpp-detection", "--report-dir", str(report)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    seen = b""
    deadline = time.monotonic() + 120
    while b"checks collected" not in seen and time.monotonic() < deadline:  # the suites are running
        seen += process.stderr.read1(4096)
    time.sleep(4)  # a few checks judged
    process.send_signal(signal.SIGINT)  # to verify alone, as `kill -INT` would
    out, err = process.communicate(timeout=120)
    err = seen + err
    assert process.returncode == 130, (out + err).decode()[-3000:]
    assert b"Traceback" not in out + err
    results = json.loads((report / "results.json").read_text())
    assert results["outcome"] == "INCOMPLETE" and any(c["verdict"] == "pass" for c in results["checks"])
    assert results["summary"]["stopped"] == "interrupted (Ctrl-C)"
    assert b"interrupted (Ctrl-C)" in out
