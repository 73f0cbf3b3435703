"""The helper every test that starts a server goes through: patient, telling, and never leaves one behind."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.server_process import running_server

SLOW_SERVER = """
import subprocess, sys, time
from pathlib import Path
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
Path(sys.argv[1]).write_text(str(child.pid))
print("loading the store", flush=True)
print("a warning on stderr", file=sys.stderr, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    """True when the process is gone or a zombie (nothing left running)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


def test_a_server_that_never_gets_ready_is_reported_with_what_it_printed_and_stopped_with_its_children(
        tmp_path: Path) -> None:
    child_pid_file = tmp_path / "child.pid"
    with pytest.raises(AssertionError) as caught:
        with running_server([sys.executable, "-c", SLOW_SERVER, str(child_pid_file)], "Press Ctrl+C", timeout=3):
            raise AssertionError("unreachable: the server never says it is ready")
    message = str(caught.value)
    assert "took over 3 s before printing 'Press Ctrl+C'" in message
    assert "loading the store" in message and "a warning on stderr" in message and "still running" in message
    child_pid = int(child_pid_file.read_text())
    deadline = time.monotonic() + 30
    while not _gone(child_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(child_pid), "the server's child outlived the test"


def test_a_server_that_exits_at_start_is_reported_at_once_with_its_exit_code_and_stderr() -> None:
    started = time.monotonic()
    with pytest.raises(AssertionError) as caught:
        with running_server([sys.executable, "-c", "import sys; sys.exit('ERROR: cannot listen on 127.0.0.1:1')"],
                            "Press Ctrl+C"):
            pass
    assert time.monotonic() - started < 60  # not the full readiness wait
    message = str(caught.value)
    assert "exited before printing" in message and "exited with code 1" in message
    assert "ERROR: cannot listen on 127.0.0.1:1" in message


def test_a_ready_server_is_stopped_when_the_test_fails_inside(tmp_path: Path) -> None:
    pid_file = tmp_path / "server.pid"
    code = ("import os, sys, time; from pathlib import Path; Path(sys.argv[1]).write_text(str(os.getpid())); "
            "print('Press Ctrl+C to stop.', flush=True); time.sleep(600)")
    with pytest.raises(ZeroDivisionError):
        with running_server([sys.executable, "-c", code, str(pid_file)], "Press Ctrl+C"):
            1 / 0  # noqa: B018 - a test failing while the server runs
    assert _gone(int(pid_file.read_text()))


def test_ctrl_c_stops_a_server_even_when_the_test_run_ignores_it(tmp_path: Path) -> None:
    # A test run started as a background job of a script inherits SIGINT ignored; the servers it starts must not.
    script = tmp_path / "run.py"
    script.write_text(
        "import signal, sys\n"
        f"sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r})\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "from tests.server_process import running_server\n"
        "code = 'import time; print(\"Press Ctrl+C to stop.\", flush=True)\\n"
        "try:\\n    time.sleep(600)\\nexcept KeyboardInterrupt:\\n    print(\"stopped cleanly\", flush=True)'\n"
        "with running_server([sys.executable, '-c', code], 'Press Ctrl+C') as server:\n"
        "    pass\n"
        "print(server.process.returncode, repr(server.stdout))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0 'Press Ctrl+C to stop.\\nstopped cleanly\\n'"
