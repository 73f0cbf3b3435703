"""`vmss-tui emulator serve`: what it prints is enough to connect, and the printed snippet works."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

from vmss_tui.armserver import client_snippet

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "live-azure.md"
DOC_BASE_URL = "https://127.0.0.1:8443"
DOC_CA_PATH = "/home/you/.local/share/vmss-tui/armserver/ca.pem"
DOC_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


def _read_until(process: subprocess.Popen[str], marker: str) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if marker in line:
            return "".join(lines)
    raise AssertionError("server exited before printing:\n" + "".join(lines))


def test_serve_prints_how_to_connect_and_the_printed_snippet_lists_the_practice_estate(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; from vmss_tui.armserver import main; sys.exit(main())",
               "emulator", "serve", "--port", "0", "--db", str(tmp_path / "store"), "--seed",
               "--state-dir", str(tmp_path / "state"), "--speed", "instant"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        banner = _read_until(server, "Press Ctrl+C")
        base_url = re.search(r"ARM endpoint\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
        ca_path = re.search(r"CA bundle\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
        subscription = re.search(r"Subscription\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
        assert base_url.startswith("https://127.0.0.1:") and Path(ca_path).is_file()
        snippet = client_snippet(base_url, ca_path, subscription)
        assert snippet in banner
        run = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True,
                             timeout=60)
        assert run.returncode == 0, run.stderr
        listed = sorted(line.split()[0] for line in run.stdout.splitlines())
        assert listed == ["batch", "demo-set", "web"]
        assert "web 6 Succeeded" in run.stdout
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0


def test_serve_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    from vmss_tui.armserver import main

    assert main(["--host", "0.0.0.0", "--db", str(tmp_path / "store"), "--state-dir", str(tmp_path)]) == 2


def test_the_snippet_in_the_docs_is_exactly_what_serve_prints() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert client_snippet(DOC_BASE_URL, DOC_CA_PATH, DOC_SUBSCRIPTION) in blocks
