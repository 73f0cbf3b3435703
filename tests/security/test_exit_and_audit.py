"""Exit codes and the audit trail say what happened: validated before sending, true after it.

- A change that was made is never reported as "nothing was sent" (exit 2) or audited as refused.
- Lines that ask for a change but do not parse are audited as refused, escaped so no row is forged.
- Changes through the ARM endpoint (`vmss-tui emulator serve`) are audited too.
- Viewers read only their own audit lines.
- Destructive commands check their targets before they ask for confirmation.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import ssl
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.server_process import running_server
from vmss_tui.admin import audit
from vmss_tui.backends import open_backend
from vmss_tui.cli import main
from vmss_tui.commands import Session, run_line

ME = pwd.getpwuid(os.geteuid()).pw_name


@pytest.fixture
def console(tmp_path, monkeypatch):
    """A practice store and a config with an audit log; `configure(role)` names this user's role."""
    store = tmp_path / "store"
    seeded = open_backend("emulator", db=store, speed="instant", durable=False)
    seeded.seed_practice_estate()
    seeded.close()
    audit_log = tmp_path / "audit.jsonl"

    def configure(role: str = "operator") -> Path:
        config = tmp_path / f"{role}.toml"
        config.write_text(f'db = "{store}"\nspeed = "instant"\naudit_log = "{audit_log}"\n'
                          f'[roles]\ndefault = "viewer"\n[roles.users]\n{ME} = "{role}"\n')
        return config

    return configure, store, audit_log


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _instance_names(store: Path, set_name: str) -> set[str]:
    backend = open_backend("emulator", db=store, speed="instant", durable=False)
    try:
        return {i.name for i in backend.list_instances("practice-rg", set_name)}
    finally:
        backend.close()


def test_a_query_failing_after_a_change_is_exit_1_names_the_change_and_is_audited_as_done(console, capsys):
    configure, store, audit_log = console
    code = main(["--config", str(configure()), "add-vm", "demo-set", "--name", "added1", "--query", "max_by(@,&x)"])
    error = capsys.readouterr().err
    assert "added1" in _instance_names(store, "demo-set")  # the VM was added ...
    assert code == 1, error  # ... so this is not "nothing was sent"
    [line] = error.splitlines()
    assert line.startswith("ERROR: (InvalidQuery) add-vm was carried out") and "--query failed" in line
    [record] = _records(audit_log)
    assert (record["outcome"], record["error_code"], record["resource_group"]) == ("success", "InvalidQuery",
                                                                                   "practice-rg")


@pytest.mark.parametrize("bad", [["--query", "[["], ["-o", "xml"], ["--zone", "9", "--fault-domain", "-4"],
                                 ["--query", "(" * 3000 + "a" + ")" * 3000]])
def test_a_line_that_cannot_be_shown_is_refused_before_anything_is_sent(console, capsys, bad):
    configure, store, audit_log = console
    assert main(["--config", str(configure()), "add-vm", "demo-set", "--name", "added2", *bad]) == 2
    assert capsys.readouterr().err.startswith("ERROR: (")
    assert "added2" not in _instance_names(store, "demo-set")
    [record] = _records(audit_log)
    assert record["outcome"] == "refused" and record["resource_group"] in ("practice-rg", None)


def test_a_failed_change_is_exit_1_and_audited_as_failed_with_its_group(console, capsys):
    configure, _, audit_log = console
    assert main(["--config", str(configure()), "add-vm", "web", "-o", "none"]) == 1  # Uniform: Azure refuses
    assert "(OperationNotAllowed)" in capsys.readouterr().err
    [record] = _records(audit_log)
    assert (record["outcome"], record["resource_group"]) == ("failed", "practice-rg")


def test_changing_lines_that_do_not_parse_are_audited_as_refused_and_escaped(backend, tmp_path):
    trail = audit.AuditTrail(tmp_path / "audit.jsonl", operator="mallory", source_address="203.0.113.5",
                             role="operator", describe_backend=lambda: ("emulator", "sub"))
    session = Session(backend, output="json")
    session.audit = trail
    lines = ["scale web --bogus \x1b]0;owned\x07",
             "delete web 'unterminated \x1b[2J",
             'scale web 3 "\n{"outcome":"success","operator":"alice"}"',
             "start web \u202e0"]
    for line in lines:
        outcome = run_line(line, session)
        assert outcome.exit_code in (1, 2) and outcome.error.startswith("ERROR: ("), line
    raw = (tmp_path / "audit.jsonl").read_text()
    assert len(raw.splitlines()) == len(lines)  # one JSON line each: nothing forged
    records = _records(tmp_path / "audit.jsonl")
    assert [r["outcome"] for r in records[:3]] == ["refused", "refused", "refused"]
    for record in records:
        assert record["operator"] == "mallory"
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202e]", record["command"]), record["command"]
    assert "\\x1b" in records[0]["command"] and "\\n" in records[2]["command"]


def test_viewers_read_only_their_own_audit_lines_and_operators_read_all(console, capsys):
    configure, _, audit_log = console
    for operator, address in (("alice-ops", "203.0.113.9"), (ME, "198.51.100.4")):
        audit.append(audit_log, audit.AuditRecord(time=audit.now_iso(), operator=operator, source_address=address,
                                                  backend="emulator", subscription="s", resource_group="rg",
                                                  command="scale web 3 --yes", outcome="success"))
    viewer = configure("viewer")
    assert main(["--config", str(viewer), "audit", "-o", "json"]) == 0
    assert [r["operator"] for r in json.loads(capsys.readouterr().out)] == [ME]
    assert main(["--config", str(viewer), "audit", "--user", "alice-ops", "-o", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("ERROR: (AuthorizationFailed)")
    assert "203.0.113.9" not in captured.err
    operator = configure("operator")
    assert main(["--config", str(operator), "audit", "-o", "json"]) == 0
    assert [r["operator"] for r in json.loads(capsys.readouterr().out)] == ["alice-ops", ME]


def test_destructive_commands_check_their_targets_before_asking(backend):
    asked: list[str] = []
    session = Session(backend, output="json", confirm=lambda text: asked.append(text) or True)
    before = {i.instance_id for i in backend.list_instances("practice-rg", "web")}
    for line, code in (("delete-instances web 99", "ResourceNotFound"), ("delete-instances web 0 99", "ResourceNotFound"),
                       ("delete no-such-set", "ResourceNotFound")):
        outcome = run_line(line, session)
        assert outcome.exit_code == 1 and outcome.error.startswith(f"ERROR: ({code})"), (line, outcome.error)
    assert asked == []
    assert {i.instance_id for i in backend.list_instances("practice-rg", "web")} == before
    # A real target still asks first.
    assert run_line("delete-instances web 0", session).exit_code == 0 and len(asked) == 1


def test_the_cli_says_an_instance_is_missing_instead_of_asking_for_yes(console, capsys):
    configure, _, _ = console
    assert main(["--config", str(configure()), "delete-instances", "web", "99"]) == 1
    assert capsys.readouterr().err.startswith("ERROR: (ResourceNotFound)")


def test_changes_through_the_arm_endpoint_reach_the_audit_trail(console, tmp_path):
    configure, store, audit_log = console
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "xdg")}
    with running_server(
        [sys.executable, "-m", "vmss_tui", "--config", str(configure()), "emulator", "serve", "--db", str(store),
         "--speed", "instant", "--port", "0", "--state-dir", str(tmp_path / "tls")], "Press Ctrl+C", env=env,
    ) as server:
        shown: dict[str, str] = {}
        for line in server.stdout.splitlines():
            key, _, value = line.partition("  ")
            shown.setdefault(key.strip(), value.strip())
        base, sub = shown["ARM endpoint"], shown["Subscription"]
        context = ssl.create_default_context(cafile=shown["CA bundle"])
        from vmss_tui.backends.azure.client import EmulatorCredential  # the endpoint takes only its authority's tokens

        token = EmulatorCredential(base, shown["CA bundle"]).get_token(f"{base}/.default").token
        path = f"/subscriptions/{sub}/resourceGroups/practice-rg/providers/Microsoft.Compute/virtualMachineScaleSets/web"

        def call(method: str, suffix: str, body: bytes | None = None) -> int:
            request = urllib.request.Request(f"{base}{path}{suffix}?api-version=2024-07-01", data=body, method=method,
                                             headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, context=context, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        assert call("GET", "") == 200  # a read: not audited
        assert call("POST", "/powerOff", b"") == 202
        assert call("PATCH", "", b'{not json') == 400
    records = _records(audit_log)
    assert [(r["outcome"], r["command"].split(" ")[0]) for r in records] == [("success", "POST"), ("refused", "PATCH")]
    first = records[0]
    assert first["operator"] == ME and first["source_address"] == "127.0.0.1" and first["backend"] == "emulator"
    assert first["resource_group"] == "practice-rg" and first["subscription"] == sub
    assert first["command"].endswith("/virtualMachineScaleSets/web/powerOff")
    assert records[1]["error_code"]
