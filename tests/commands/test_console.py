"""The emulated instance console, command by command, on a scripted terminal and a real emulator store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Iterator

import pytest

from vmss_tui.backends import open_backend
from vmss_tui.commands import Session, run_line
from vmss_tui.commands.ssh import open_console, resolve_target
from vmss_tui.domain.models import OrchestrationMode, PowerAction, ScaleSetNetwork, ScaleSetSpec

RG = "lab"


class ScriptedTerminal:
    """Types the given lines (an exception instance is raised instead: Ctrl-C, Ctrl-D) and keeps what is shown."""

    def __init__(self, lines: list[str | BaseException], *, interrupt_after_sleeps: int = 3) -> None:
        self.lines = list(lines)
        self.shown: list[str] = []
        self.written: list[str] = []
        """What the console wrote (prompts and output), without the typed lines' echo."""
        self.sleeps = 0
        self.interrupt_after_sleeps = interrupt_after_sleeps
        self.on_sleep: list = []

    def read_line(self, prompt: str) -> str:
        self.shown.append(prompt)
        self.written.append(prompt)
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        if isinstance(line, BaseException):
            raise line
        self.shown.append(line + "\n")
        return line

    def write(self, text: str) -> None:
        self.shown.append(text)
        self.written.append(text)

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        for hook in self.on_sleep:
            hook()
        if self.sleeps >= self.interrupt_after_sleeps:
            raise KeyboardInterrupt

    @property
    def text(self) -> str:
        return "".join(self.shown)


@pytest.fixture
def backend(tmp_path: Path) -> Iterator:
    opened = open_backend("emulator", db=tmp_path / "db", speed="instant", durable=False)
    opened.create_or_update_resource_group(RG, "westeurope")
    spec = ScaleSetSpec(name="web", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=2,
                        vm_size="Standard_D2s_v3", image="Ubuntu2204", network=ScaleSetNetwork())
    opened.wait(opened.create_scale_set(spec))
    yield opened
    opened.close()


def console(backend, lines: list[str | BaseException], instance: str = "1", **options) -> tuple[int, ScriptedTerminal]:
    terminal = ScriptedTerminal(lines, **{k: v for k, v in options.items() if k == "interrupt_after_sleeps"})
    scale_set = backend.get_scale_set(RG, "web")
    target = resolve_target(backend, scale_set, instance)
    status = open_console(backend, target, terminal, read_only_reason=options.get("read_only_reason"),
                          record=options.get("record"))
    return status, terminal


def cpu_now(backend, instance: str = "1") -> float:
    return backend.get_load(RG, "web").cpu(instance, backend.clock_now().timestamp())


def test_the_banner_prompt_and_who_and_where_it_is(backend) -> None:
    instance = backend.get_instance(RG, "web", "1")
    status, term = console(backend, ["hostname", "whoami", "hostname -I", "ip addr", "ifconfig", "exit"])
    assert status == 0
    text = term.text
    assert f"through {instance.public_endpoint} as azureuser" in text
    assert f"azureuser@{instance.computer_name}:~$ hostname\n{instance.computer_name}\n" in text
    assert "whoami\nazureuser\n" in text
    assert f"hostname -I\n{instance.private_ip}\n" in text
    assert f"inet {instance.private_ip}/24 scope global eth0" in text  # the subnet az makes: 10.0.0.0/24
    assert f"inet {instance.private_ip}  netmask 255.255.255.0" in text
    assert text.endswith(f"logout\nConnection to {instance.public_endpoint.rsplit(':', 1)[0]} closed.\n")


def test_uptime_and_date_follow_the_emulated_clock(backend) -> None:
    created = backend.get_instance(RG, "web", "1").time_created
    backend.set_clock(created + timedelta(days=2, hours=3, minutes=4, seconds=30))
    _, term = console(backend, ["uptime", "uptime -p", "date"])
    moment = created + timedelta(days=2, hours=3, minutes=4, seconds=30)
    assert f" {moment:%H:%M:%S} up 2 days,  3:04,  1 user,  load average: 0.00, 0.00, 0.00\n" in term.text
    assert "up 2 days, 3 hours, 4 minutes\n" in term.text
    assert moment.strftime("%a %b %e %H:%M:%S UTC %Y") in term.text


def test_stress_for_a_while_holds_the_cpu_in_the_load_model_then_the_sets_load_returns(backend) -> None:
    recorded: list[str] = []
    status, term = console(backend, ["stress --cpu 90 --for 10m", "load", "exit"],
                           record=lambda typed, code, error: recorded.append(typed))
    assert status == 0
    assert "holding 90 % CPU on" in term.text and "for 10 minutes of emulated time" in term.text
    assert "%Cpu(s):  90.0 us  (stress: steady 90 for 10m, until" in term.text
    assert recorded == ["stress --cpu 90 --for 10m"]
    assert cpu_now(backend) == 90 and cpu_now(backend, "0") == 0  # this instance only
    backend.advance_clock(9 * 60)
    assert cpu_now(backend) == 90  # it runs on after logout
    backend.advance_clock(60)
    assert cpu_now(backend) == 0
    _, term = console(backend, ["load"])
    assert "%Cpu(s):   0.0 us  (no load set)" in term.text


def test_stress_in_the_foreground_ends_at_ctrl_c(backend) -> None:
    status, term = console(backend, ["stress --cpu 75", "exit"], interrupt_after_sleeps=2)
    assert "Ctrl-C stops it" in term.text and "Ctrl-C stops it.\n\nstress: info: stopped" in term.text
    assert cpu_now(backend) == 0 and "1" not in backend.get_load(RG, "web").overrides
    assert status == 130  # exit without a number keeps the last status, as bash does


def test_stress_while_it_runs_is_what_autoscale_reads(backend) -> None:
    """The foreground stress is in the store while it runs: another reader sees 75 % at that moment."""
    seen: list[float] = []
    terminal = ScriptedTerminal(["stress --cpu 75"], interrupt_after_sleeps=2)
    terminal.on_sleep.append(lambda: seen.append(cpu_now(backend)))
    target = resolve_target(backend, backend.get_scale_set(RG, "web"), "1")
    open_console(backend, target, terminal)
    assert seen == [75, 75]
    assert cpu_now(backend) == 0


def test_stress_stop_and_bad_stress_lines(backend) -> None:
    _, term = console(backend, ["stress --cpu 90", "stress --cpu 120", "stress --cpu 50 --for soon", "stress",
                                "stress --cpu 60 --for 1h", "stress --stop", "stress --stop"], interrupt_after_sleeps=1)
    text = term.text
    assert "stress: FAIL: --cpu takes a percentage 0-100, not 120" in text
    assert "stress: FAIL: --for takes a duration such as 90s, 10m or 2h, not 'soon'" in text
    assert "stress: FAIL: say how much CPU: --cpu PERCENT" in text
    assert text.count("stress: info: stopped") == 2 and "nothing to stop on this instance" in text
    assert cpu_now(backend) == 0


def test_a_read_only_session_may_look_but_not_stress(backend) -> None:
    _, term = console(backend, ["stress --cpu 90 --for 5m", "hostname"], read_only_reason="--read-only")
    assert "stress: refused: this session is read-only (--read-only); the load was not changed." in term.text
    assert backend.get_load(RG, "web").overrides == {}


def test_anything_else_is_command_not_found_with_control_characters_escaped(backend) -> None:
    status, term = console(backend, ["rm -rf /", "curl\x1b]0;owned\x07 http://x", "echo $?", "exit 3"])
    assert "bash: rm: command not found\n" in term.text
    assert "bash: curl\\x1b]0;owned\\x07: command not found\n" in term.text
    assert "\x1b" not in "".join(term.written) and "\x07" not in "".join(term.written)
    assert "echo $?\n127\n" in term.text
    assert status == 3


def test_ctrl_c_at_the_prompt_and_ctrl_d_to_leave(backend) -> None:
    status, term = console(backend, [KeyboardInterrupt(), EOFError()])
    assert term.text.count(":~$ ") == 2 and "logout\n" in term.text  # a fresh prompt after Ctrl-C
    assert status == 130


def test_the_session_closes_when_the_instance_stops_running(backend) -> None:
    terminal = ScriptedTerminal(["hostname", "hostname"])
    target = resolve_target(backend, backend.get_scale_set(RG, "web"), "1")
    original = terminal.read_line
    calls = []

    def read_line(prompt: str) -> str:
        calls.append(prompt)
        if len(calls) == 2:
            backend.wait(backend.power_action(RG, "web", PowerAction.DEALLOCATE, ["1"]))
        return original(prompt)

    terminal.read_line = read_line  # type: ignore[method-assign]
    assert open_console(backend, target, terminal) == 255
    assert terminal.text.endswith("closed by remote host.\n")


def test_the_console_through_the_command_language_reads_the_sessions_terminal(backend) -> None:
    session = Session(backend)
    session.terminal = ScriptedTerminal(["hostname", "exit"])  # type: ignore[assignment]
    outcome = run_line("ssh web 1", session)
    assert outcome.exit_code == 0 and outcome.rendered == ""
    assert backend.get_instance(RG, "web", "1").computer_name + "\n" in session.terminal.text  # type: ignore[union-attr]
    outcome = run_line("ssh web 1 -- -v", session)
    assert outcome.exit_code == 2 and "emulated console takes no ssh options" in (outcome.error or "")


def test_a_security_group_that_denies_ssh_times_the_session_out_as_a_real_client_would(backend) -> None:
    backend.create_nsg(RG, "closed", inbound_ports=(80,))
    spec = ScaleSetSpec(name="shut", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM, capacity=1,
                        vm_size="Standard_D2s_v3", image="Ubuntu2204",
                        network=ScaleSetNetwork(load_balancer="shutLB", nsg="closed"))
    backend.wait(backend.create_scale_set(spec))
    session = Session(backend)
    session.terminal = ScriptedTerminal(["hostname"])  # type: ignore[assignment]
    outcome = run_line("ssh shut 0", session)
    endpoint = backend.get_instance(RG, "shut", "0").public_endpoint
    host, port = endpoint.rsplit(":", 1)
    assert outcome.exit_code == 1
    assert outcome.error == (f"ERROR: (ConnectionTimedOut) ssh: connect to host {host} port {port}: Connection timed "
                             f"out: the network security group 'closed' denies inbound TCP 22 (rule DenyAllInBound, "
                             f"priority 65500); allow it, e.g. with an inbound rule for port 22.")
    assert session.terminal.shown == []  # type: ignore[union-attr]  # no banner, no prompt


def test_an_ended_stress_is_no_longer_described_as_the_load(backend) -> None:
    console(backend, ["stress --cpu 90 --for 10m"])
    now = backend.clock_now().timestamp()
    assert "instance 1: steady 90 for 10m" in backend.get_load(RG, "web").describe(now)
    backend.advance_clock(600)
    assert backend.get_load(RG, "web").describe(backend.clock_now().timestamp()) == "no load"
