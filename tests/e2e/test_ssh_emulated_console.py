"""The seed's practice run in a real terminal: SSH into an emulated instance, load it, watch autoscale act.

`vmss-tui ssh web 0` runs under a pseudo-terminal (pexpect) as an operator types it; the clock is then
moved by another process (`vmss-tui emulator clock advance 10m`), and the autoscale rule that reads the
instance's CPU scales the set out.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pexpect
import pytest

from vmss_tui.cli import main

PYTHON = sys.executable


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A Uniform set of one behind a NAT load balancer, with the seed's rule: CPU > 50 % over 5 min adds one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMSS_TUI_")}
    env.update({"VMSS_TUI_DB": str(tmp_path / "db"), "VMSS_TUI_SPEED": "instant",
                "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
                "TERM": "xterm", "NO_COLOR": "1"})
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    def run(*words: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.setattr("sys.stdout", out)
        monkeypatch.setattr("sys.stderr", err)
        code = main(list(words))
        return code, out.getvalue(), err.getvalue()

    for words in (("group", "create", "lab", "-l", "westeurope"),
                  ("create", "web", "--mode", "uniform", "--capacity", "1", "-g", "lab", "--lb", "webLB"),
                  ("autoscale", "create", "web", "--min-count", "1", "--max-count", "3", "--count", "1"),
                  ("autoscale", "rule", "create", "web", "--condition", "Percentage CPU > 50 avg 5m",
                   "--scale", "out", "1")):
        code, _out, err = run(*words, "-o", "none")
        assert code == 0, err
    return run, env


def spawn_ssh(env: dict[str, str], *words: str) -> pexpect.spawn:
    return pexpect.spawn(PYTHON, ["-m", "vmss_tui", "ssh", *words], env=env, encoding="utf-8", timeout=20,
                         dimensions=(40, 120))


def test_ssh_in_load_it_and_watch_autoscale_scale_out(lab) -> None:
    run, env = lab
    code, out, _ = run("connection-info", "web", "-o", "json")
    endpoint = json.loads(out)["instance 0"]
    child = spawn_ssh(env, "web", "0")
    child.expect_exact(f"through {endpoint} as azureuser")
    prompt = "azureuser@web000000:~$ "
    child.expect_exact(prompt)
    child.sendline("hostname")
    child.expect_exact("web000000\r\n")
    child.expect_exact(prompt)
    child.sendline("stress --cpu 95")  # in the foreground, as the real tool: Ctrl-C ends it
    child.expect_exact("Ctrl-C stops it")
    child.sendintr()
    child.expect_exact("stopped; this instance runs the set's load again")
    child.expect_exact(prompt)
    child.sendline("stress --cpu 90 --for 10m")
    child.expect_exact("holding 90 % CPU on web000000 for 10 minutes")
    child.expect_exact(prompt)
    child.sendline("load")
    child.expect(r"%Cpu\(s\):\s+90\.0 us")
    child.expect_exact(prompt)
    child.sendline("exit")
    child.expect_exact("Connection to")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    code, out, _ = run("load", "web", "-o", "json")
    override = json.loads(out)["overrides"]["0"]
    assert override["low"] == 90 and override["until"] - override["since"] == 600
    assert run("emulator", "clock", "advance", "10m", "-o", "none")[0] == 0
    code, out, _ = run("show", "web", "--query", "sku.capacity", "-o", "tsv")
    assert out.strip() == "2"  # 90 % on the only instance for 5 minutes: one more, then 45 % on average
    code, out, _ = run("autoscale", "history", "web", "-o", "json")
    scale_outs = [(row["current"], row["target"]) for row in json.loads(out) if row["outcome"] == "ScaleOut"]
    assert scale_outs == [(1, 2)]


def test_ssh_refuses_what_it_cannot_reach_in_one_line(lab) -> None:
    run, env = lab
    code, _out, err = run("ssh", "web", "7")
    assert code == 1 and err.startswith("ERROR: (ResourceNotFound)") and "virtualMachines/7" in err
    assert run("create", "bare", "--mode", "uniform", "--capacity", "1", "-g", "lab", "--lb", "", "-o", "none")[0] == 0
    code, _out, err = run("ssh", "bare", "0")
    assert code == 1 and "has no public endpoint" in err and len(err.strip().splitlines()) == 1
    assert run("deallocate", "web", "0", "-o", "none")[0] == 0
    code, _out, err = run("ssh", "web", "0")
    assert code == 1 and "is deallocated" in err
    code, _out, err = run("ssh", "web", "0", "--", "-o", "ProxyCommand=sh")
    assert code == 2 and "(InvalidArgumentValue)" in err


def test_the_repls_ssh_runs_the_console_in_the_same_terminal_and_returns_to_its_prompt(lab) -> None:
    _run, env = lab
    child = pexpect.spawn(PYTHON, ["-m", "vmss_tui", "shell"], env={**env, "PROMPT_TOOLKIT_NO_CPR": "1"},
                          encoding="utf-8", timeout=20, dimensions=(40, 120))
    child.expect_exact("vmss>")
    child.send("ssh web 0\r")
    child.expect_exact("azureuser@web000000:~$ ")
    child.sendline("whoami")
    child.expect_exact("azureuser\r\n")
    child.sendline("stress --cpu 70")
    child.expect_exact("Ctrl-C stops it")
    child.sendintr()
    child.expect_exact("stopped; this instance runs the set's load again")
    child.expect_exact("azureuser@web000000:~$ ")
    child.sendcontrol("d")
    child.expect_exact("vmss>")  # back in the REPL, which carries on
    child.send("load web\r")
    child.expect_exact("web: no load")
    child.expect_exact("vmss>")
    child.sendcontrol("d")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_words_after_dashes_belong_to_ssh_not_to_vmss_tui(lab) -> None:
    run, _env = lab
    code, out, err = run("ssh", "web", "0", "--", "-h")  # not vmss-tui's --help
    assert code == 2 and out == "" and err.startswith("ERROR: (InvalidArgumentValue) ssh: '-h' is not an OpenSSH option")
    code, out, err = run("ssh", "web", "0", "--", "-v")
    assert code == 2 and "emulated console takes no ssh options" in err
