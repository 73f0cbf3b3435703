"""`vmss-tui emulator serve`: what it prints is enough to connect, and what it prints works as printed."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.server_process import running_server
from vmss_tui.armserver import client_snippet
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "live-azure.md"
DOC_BASE_URL = "https://127.0.0.1:8443"
DOC_CA_PATH = "/home/you/.local/share/vmss-tui/armserver/ca.pem"
DOC_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
READY = "Press Ctrl+C"
VENV_BIN = Path(sys.executable).parent
"""Where this checkout's `vmss-tui` entry point is, put first on PATH so printed command lines find it."""


def _field(banner: str, label: str) -> str:
    found = re.search(rf"^{label}\s+(\S+)", banner, re.MULTILINE)
    assert found, f"no '{label}' line in:\n{banner}"
    return found.group(1)


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a user with no vmss-tui settings: own config and data dirs, nothing set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VMSS_TUI_", "AZURE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"), PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}")
    env.update(extra)
    return env


OWN_SETS = ["batch", "demo-set", "own-set", "web"]


def _own_store(path: Path) -> Path:
    """The practice estate plus a set the practice store does not have, so the served store is recognisable."""
    backend = open_backend("emulator", db=path, speed="instant", durable=False)
    try:
        backend.seed_practice_estate()
        backend.wait(backend.create_scale_set(ScaleSetSpec("own-set", "practice-rg", OrchestrationMode.UNIFORM,
                                                           capacity=1)))
    finally:
        backend.close()
    return path


def _serve_argv(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "vmss_tui", *arguments]


def test_serve_prints_how_to_connect_and_the_printed_snippet_lists_the_practice_estate(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; from vmss_tui.armserver import main; sys.exit(main())",
               "emulator", "serve", "--port", "0", "--db", str(tmp_path / "store"), "--seed",
               "--state-dir", str(tmp_path / "state"), "--speed", "instant"]
    with running_server(command, READY, cwd=ROOT) as server:
        banner = server.stdout
        base_url, ca_path, subscription = (_field(banner, label) for label in ("ARM endpoint", "CA bundle",
                                                                                "Subscription"))
        assert base_url.startswith("https://127.0.0.1:") and Path(ca_path).is_file()
        snippet = client_snippet(base_url, ca_path, subscription)
        assert snippet in banner
        run = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
        assert run.returncode == 0, run.stderr
        listed = sorted(line.split()[0] for line in run.stdout.splitlines())
        assert listed == ["batch", "demo-set", "web"]
        assert "web 6 Succeeded" in run.stdout
        assert server.stop() == 0, server.seen()


def _printed_command_lines(banner: str) -> list[str]:
    """The shell lines the banner tells the user to type: indented, starting with `export` or `vmss-tui`."""
    return [line.strip() for line in banner.splitlines()
            if line.startswith("  ") and line.strip().split(" ", 1)[0] in ("vmss-tui", "export")]


def test_serve_serves_the_store_VMSS_TUI_DB_names_and_its_command_lines_work_as_printed(tmp_path: Path) -> None:
    store = _own_store(tmp_path / "my store")  # a space: the printed lines must quote what they print
    env = _clean_env(tmp_path, VMSS_TUI_DB=str(store))
    argv = _serve_argv("emulator", "serve", "--port", "0", "--state-dir", str(tmp_path / "arm state"),
                       "--speed", "instant")
    with running_server(argv, READY, env=env, cwd=tmp_path) as server:
        banner = server.stdout
        assert re.search(rf"^Store\s+{re.escape(str(store))}\s+\(VMSS_TUI_DB\)", banner, re.MULTILINE), banner
        lines = _printed_command_lines(banner)
        assert lines, f"no command line in the banner:\n{banner}"
        # Each paragraph of lines runs as one shell script, exactly as printed, by a user with nothing set.
        scripts: list[list[str]] = [[]]
        for line in lines:
            scripts[-1].append(line)
            if line.startswith("vmss-tui"):
                scripts.append([])
        scripts = [script for script in scripts if script]
        assert len(scripts) >= 2, f"expected a one-line command and an export form:\n{banner}"
        for script in scripts:
            run = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=_clean_env(tmp_path),
                                 capture_output=True, text=True, timeout=180)
            assert run.returncode == 0, f"{script} failed ({run.returncode}):\n{run.stderr}"
            listed = json.loads(run.stdout)
            assert sorted(s["name"] for s in listed) == OWN_SETS, script
        assert server.stop() == 0, server.seen()
    assert not (tmp_path / "data" / "vmss-tui" / "emulator").exists(), "the practice store was created"


@pytest.mark.parametrize("where", ["--db after serve", "--db before emulator", "config", "VMSS_TUI_DB over config",
                                   "--db over VMSS_TUI_DB"])
def test_serve_picks_the_store_like_every_other_command(tmp_path: Path, where: str) -> None:
    chosen, other = tmp_path / "chosen", tmp_path / "other"
    config = tmp_path / "config" / "vmss-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    env = _clean_env(tmp_path)
    serve = ["emulator", "serve", "--port", "0", "--state-dir", str(tmp_path / "arm"), "--speed", "instant"]
    origin = {"--db after serve": "--db", "--db before emulator": "--db", "config": f"db in {config}",
              "VMSS_TUI_DB over config": "VMSS_TUI_DB", "--db over VMSS_TUI_DB": "--db"}[where]
    if where == "--db after serve":
        argv = _serve_argv(*serve, "--db", str(chosen))
    elif where == "--db before emulator":
        argv = _serve_argv("--db", str(chosen), *serve)
    elif where == "config":
        config.write_text(f"db = {json.dumps(str(chosen))}\n")
        argv = _serve_argv(*serve)
    elif where == "VMSS_TUI_DB over config":
        config.write_text(f"db = {json.dumps(str(other))}\n")
        env["VMSS_TUI_DB"] = str(chosen)
        argv = _serve_argv(*serve)
    else:
        env["VMSS_TUI_DB"] = str(other)
        argv = _serve_argv(*serve, f"--db={chosen}")
    with running_server(argv, READY, env=env, cwd=tmp_path) as server:
        store_line = next(line for line in server.stdout.splitlines() if line.startswith("Store"))
        assert store_line.split()[1] == str(chosen), server.stdout
        assert f"({origin})" in store_line, store_line
    assert chosen.is_dir() and not other.exists()
    assert not (tmp_path / "data" / "vmss-tui" / "emulator").exists(), "the practice store was created"


def test_serve_with_nothing_set_says_it_serves_the_practice_store(tmp_path: Path) -> None:
    argv = _serve_argv("emulator", "serve", "--port", "0", "--state-dir", str(tmp_path / "arm"), "--speed",
                       "instant")
    with running_server(argv, READY, env=_clean_env(tmp_path), cwd=tmp_path) as server:
        store_line = next(line for line in server.stdout.splitlines() if line.startswith("Store"))
    practice = tmp_path / "data" / "vmss-tui" / "emulator"
    assert store_line.split()[1] == str(practice) and "practice store" in store_line, store_line
    assert shlex.split(store_line)[0] == "Store"


def test_serve_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    from vmss_tui.armserver import main

    assert main(["--host", "0.0.0.0", "--db", str(tmp_path / "store"), "--state-dir", str(tmp_path)]) == 2


def test_the_snippet_in_the_docs_is_exactly_what_serve_prints() -> None:
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert client_snippet(DOC_BASE_URL, DOC_CA_PATH, DOC_SUBSCRIPTION) in blocks
