"""Audit trail, operator roles and the SSH recipe behave as a bastion admin needs."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from vmss_tui.admin import audit
from vmss_tui.admin.identity import OPERATOR, VIEWER, Operator, current_operator, resolve_role
from vmss_tui.admin.ssh import adapt_terminal_environment, console_command, mouse_default, render_sshd_config


def _record(operator: str = "alice", command: str = "scale web 5", outcome: str = "success",
            time: str | None = None) -> audit.AuditRecord:
    return audit.AuditRecord(time=time or audit.now_iso(), operator=operator, source_address="10.0.0.7",
                             backend="emulator", subscription="sub", resource_group="practice-rg",
                             command=command, outcome=outcome)


def _append_many(path: str, who: str, count: int) -> None:
    for index in range(count):
        audit.append(Path(path), _record(operator=who, command=f"scale web {index}"))


def test_concurrent_operators_append_whole_lines_and_lose_none(tmp_path):
    path = tmp_path / "audit.jsonl"
    workers = [multiprocessing.Process(target=_append_many, args=(str(path), f"op{n}", 40)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    records, unreadable = audit.read(path)
    assert unreadable == 0
    assert len(records) == 160
    assert {r.operator for r in records} == {"op0", "op1", "op2", "op3"}


def test_a_partial_last_line_from_a_crash_is_skipped_and_counted(tmp_path):
    path = tmp_path / "audit.jsonl"
    audit.append(path, _record())
    with open(path, "ab") as handle:
        handle.write(b'{"time":"2026-11-21T10:00:00+00:00","operator":"bob","sou')
    records, unreadable = audit.read(path)
    assert [r.operator for r in records] == ["alice"] and unreadable == 1


def test_secret_option_values_never_reach_the_audit_trail():
    masked = audit.mask_secrets("create web --admin-password 'hunter2 x' --client-secret=abc --capacity 2")
    assert masked == "create web --admin-password '***' '--client-secret=***' --capacity 2"


def test_since_accepts_durations_and_iso_times_and_names_the_forms_when_wrong():
    now = datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)
    assert audit.parse_since("2h", now) == now - timedelta(hours=2)
    assert audit.parse_since("2026-11-20", now) == datetime(2026, 11, 20, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="30m, 2h, 7d"):
        audit.parse_since("yesterday-ish", now)


def test_select_filters_by_user_and_time():
    records = [_record("alice", time="2026-11-21T08:00:00+00:00"), _record("bob", time="2026-11-21T11:00:00+00:00"),
               _record("alice", time="2026-11-21T11:30:00+00:00")]
    since = datetime(2026, 11, 21, 10, tzinfo=timezone.utc)
    assert [r.time for r in audit.select(records, since=since, user="alice")] == ["2026-11-21T11:30:00+00:00"]


def test_roles_user_entries_win_and_a_viewer_group_makes_a_member_a_viewer():
    roles = {"users": {"carol": "operator"}, "groups": {"vmss-operators": "operator", "auditors": "viewer"},
             "default": "viewer"}
    assert resolve_role(Operator("carol", ("auditors",)), roles) == OPERATOR
    assert resolve_role(Operator("dave", ("vmss-operators", "auditors")), roles) == VIEWER
    assert resolve_role(Operator("erin", ("vmss-operators",)), roles) == OPERATOR
    assert resolve_role(Operator("frank", ()), roles) == VIEWER
    assert resolve_role(Operator("frank", ()), None) == OPERATOR


def test_the_operator_over_ssh_is_the_login_user_with_the_client_address():
    operator = current_operator({"SSH_CONNECTION": "203.0.113.9 50022 10.0.0.4 22"})
    assert operator.over_ssh and operator.source_address == "203.0.113.9"
    assert operator.user  # the effective uid's name: under sshd, the SSH user
    assert current_operator({}).source_address is None


def test_the_sshd_block_forces_the_console_and_forbids_forwarding_and_shells():
    block = render_sshd_config(executable="/opt/vmss/bin/vmss-tui")
    assert "Match Group vmss-operators,vmss-viewers" in block
    assert "ForceCommand umask 007; exec /opt/vmss/bin/vmss-tui --config /etc/vmss-tui/config.toml ssh-console" in block
    for rule in ("AllowTcpForwarding no", "X11Forwarding no", "AllowAgentForwarding no", "PermitTunnel no"):
        assert rule in block
    assert block.rstrip().endswith("Match all")


def test_the_generated_block_is_accepted_by_sshd(tmp_path):
    sshd = Path("/usr/sbin/sshd")
    if not sshd.exists():
        pytest.skip("OpenSSH server is not installed (CI installs it)")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation dir; no systemd here to make it
    host_key = tmp_path / "host_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key)], check=True)
    config = tmp_path / "sshd_config"
    config.write_text(f"HostKey {host_key}\nPort 2222\n" + render_sshd_config(executable="/bin/true"))
    result = subprocess.run([str(sshd), "-t", "-f", str(config)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_an_unknown_term_falls_back_to_xterm_256color_and_mouse_is_off_over_ssh():
    env = {"TERM": "xterm-no-such-terminal-here"}
    changes = adapt_terminal_environment(env)
    assert env["TERM"] == "xterm-256color" and changes
    env = {"TERM": "xterm"}
    assert adapt_terminal_environment(env) == [] and env["TERM"] == "xterm"
    assert mouse_default({"SSH_CONNECTION": "1.2.3.4 1 5.6.7.8 22"}) is False
    assert mouse_default({}) is True


def test_console_command_keeps_group_files_writable_and_quotes_paths():
    command = console_command("/etc/vmss tui/config.toml", None, "/opt/vmss/bin/vmss-tui")
    assert command == "umask 007; exec /opt/vmss/bin/vmss-tui --config '/etc/vmss tui/config.toml' ssh-console"


def test_groups_are_looked_up_only_when_a_role_depends_on_them(monkeypatch):
    import vmss_tui.admin.identity as identity

    looked_up: list[str] = []
    monkeypatch.setattr(identity, "_groups_of", lambda user: looked_up.append(user) or ("ops",))
    assert current_operator({}, with_groups=False).groups == () and looked_up == []
    assert current_operator({}).groups == ("ops",) and len(looked_up) == 1
