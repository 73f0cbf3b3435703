"""`ssh` on Azure: the OpenSSH argument list, read from a fake `ssh` on PATH (no network), against the live
adapter over HTTPS (the emulator's endpoint answers what Azure answers)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.azure.conftest import RG, Served, arm_state_dir, make_uniform, served  # noqa: F401
from vmss_tui.commands import Session, run_line
from vmss_tui.commands.ssh import check_user, split_ssh_arguments
from vmss_tui.commands.parser import UsageError
from vmss_tui.domain.errors import OperationNotAllowed
from vmss_tui.domain.models import ScaleSetNetwork

pytest.importorskip("azure.mgmt.network")


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An `ssh` first on PATH that writes its arguments (one per line) and exits with $FAKE_SSH_STATUS."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "argv.txt"
    script = bin_dir / "ssh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexit "${{FAKE_SSH_STATUS:-0}}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


@pytest.fixture
def live_session(served: Served) -> Session:
    """A session on the live adapter; the set's VM profile names its own admin user."""
    make_uniform(served.emulator, "web", capacity=2, network=ScaleSetNetwork(),
                 stored_profile=json.dumps({"osProfile": {"adminUsername": "opsadmin"}}))
    session = Session(served.open_adapter(), output="json")
    session.terminal = object()  # type: ignore[assignment]  # OpenSSH uses the process's terminal itself
    return session


def test_ssh_runs_openssh_to_the_nat_port_as_the_profiles_user_with_the_options_after_dashes(
        live_session: Session, fake_ssh: Path) -> None:
    endpoint = live_session.backend.connection_info(RG, "web")["instance 1"]
    host, port = endpoint.rsplit(":", 1)
    outcome = run_line("ssh web 1 -- -i ~/.ssh/lab_key -v -o ConnectTimeout=5 uptime -p", live_session)
    assert outcome.exit_code == 0, outcome.error
    assert fake_ssh.read_text().splitlines() == ["-p", port, "-i", "~/.ssh/lab_key", "-v", "-o", "ConnectTimeout=5",
                                                 "--", f"opsadmin@{host}", "uptime", "-p"]


def test_a_failed_ssh_session_is_exit_1_naming_its_status(live_session: Session, fake_ssh: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SSH_STATUS", "255")
    outcome = run_line("ssh web 0", live_session)
    assert outcome.exit_code == 1
    assert outcome.error == "ERROR: (SshFailed) The ssh session ended with exit status 255."


def test_no_openssh_on_path_is_a_clear_error(live_session: Session, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    outcome = run_line("ssh web 0", live_session)
    assert outcome.exit_code == 1 and outcome.error is not None
    assert outcome.error.startswith("ERROR: (SshNotFound) OpenSSH's ssh was not found on PATH")


@pytest.mark.parametrize("words", [
    "-o ProxyCommand=nc %h %p", "-oLocalCommand=id", "-o PermitLocalCommand=yes", "-F ./evil_config",
    "-E /tmp/log", "-S /tmp/control", "-L 0.0.0.0:8080:localhost:80", "-D 0.0.0.0:1080", "-I /lib/pkcs11.so",
    "-i -oProxyCommand=x", "-- -oProxyCommand=id", "-w 0:0", "-o UserKnownHostsFile=/etc/passwd",
    "-l -oProxyCommand=x",
])
def test_options_off_the_allow_list_are_refused_and_ssh_never_runs(live_session: Session, fake_ssh: Path,
                                                                   words: str) -> None:
    outcome = run_line(f"ssh web 0 -- {words}", live_session)
    assert outcome.exit_code == 2, outcome.error
    assert outcome.error is not None and outcome.error.startswith("ERROR: (InvalidArgumentValue) ssh:")
    assert not fake_ssh.exists()


def test_a_read_only_session_gets_no_shell_on_a_live_instance(live_session: Session, fake_ssh: Path) -> None:
    live_session.read_only = True
    outcome = run_line("ssh web 0", live_session)
    assert outcome.exit_code == 2 and outcome.error is not None and "(ReadOnly)" in outcome.error
    assert not fake_ssh.exists()


def test_a_front_end_without_a_terminal_to_lend_refuses(live_session: Session, fake_ssh: Path) -> None:
    live_session.terminal = None
    outcome = run_line("ssh web 0", live_session)
    assert outcome.exit_code == 2 and outcome.error is not None and "(NoTerminal)" in outcome.error
    assert "press S" in outcome.error
    assert not fake_ssh.exists()


def test_forwards_bind_the_loopback_and_the_remote_command_starts_at_the_first_plain_word() -> None:
    options, command = split_ssh_arguments(["-L", "8080:localhost:80", "-D", "1080", "-tt", "top", "-b"])
    assert options == ["-L", "8080:localhost:80", "-D", "1080", "-tt"] and command == ["top", "-b"]
    assert split_ssh_arguments(["-oConnectTimeout=3", "--", "ls"]) == (["-o", "ConnectTimeout=3"], ["ls"])
    with pytest.raises(UsageError):
        split_ssh_arguments(["-M"])  # a control master: a socket left on this machine


@pytest.mark.parametrize("user", ["-oProxyCommand=x", "a b", "root;id", "x" * 65, "ops."])
def test_a_user_name_that_could_pose_as_an_option_is_refused(user: str) -> None:
    with pytest.raises(OperationNotAllowed):
        check_user(user)


def test_a_flexible_vm_with_its_own_public_ip_is_reached_on_port_22(served: Served, fake_ssh: Path) -> None:
    from tests.azure.conftest import make_flexible
    from vmss_tui.domain.models import VmSpec

    make_flexible(served.emulator, "lab", capacity=1, network=ScaleSetNetwork(load_balancer=""))
    served.emulator.wait(served.emulator.add_vm(RG, "lab", VmSpec(name="newvm", public_ip=True, inbound_ports=(22,))))
    session = Session(served.open_adapter(), output="json")
    session.terminal = object()  # type: ignore[assignment]
    public_ip = served.emulator.get_instance(RG, "lab", "newvm").public_endpoint.rsplit(":", 1)[0]
    outcome = run_line("ssh lab newvm", session)
    assert outcome.exit_code == 0, outcome.error
    assert fake_ssh.read_text().splitlines() == ["--", f"azureuser@{public_ip}"]
    other = next(i.instance_id for i in session.backend.list_instances(RG, "lab") if i.instance_id != "newvm")
    outcome = run_line(f"ssh lab {other}", session)
    assert outcome.exit_code == 1 and "has no public endpoint" in (outcome.error or "")
