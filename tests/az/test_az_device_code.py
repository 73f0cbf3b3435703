"""`az login --use-device-code` against the emulator, approved with `vmss-tui emulator approve CODE`.

The real az asks the endpoint's token authority for a device code and polls; the user approves the
code in another terminal as themselves (the approval proves their client's secret, a file only they
can read), and az is signed in as a user named after that client. Each test checks the emulator's
state or audit trail afterwards, not only az's exit code.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import pytest

from tests.az.conftest import AZ_SECONDS, ServedAz

pytestmark = pytest.mark.slow
RG = "practice-rg"


def _user_code(process: subprocess.Popen[str], deadline: float) -> tuple[str, str]:
    """Read az's stderr until it prints the device code; returns (code, what it printed)."""
    seen = ""
    assert process.stderr is not None
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
        match = re.search(r"vmss-tui emulator approve ([A-Z0-9]+)", line)
        if match:
            return match.group(1), seen
    pytest.fail(f"az login --use-device-code printed no code to approve; it printed:\n{seen}")


@pytest.mark.parametrize("tenant", [False, True], ids=["common tenant", "--tenant"])
def test_az_login_use_device_code_signs_in_as_the_approving_user(served_az: ServedAz, tenant: bool) -> None:
    authority = json.loads((served_az.state_dir / "authority.json").read_text())
    extra = ["--tenant", authority["tenantId"]] if tenant else []
    argv = [sys.executable, "-m", "vmss_tui", "emulator", "az", "--state-dir", str(served_az.state_dir), "login",
            "--use-device-code", *extra, "-o", "json"]
    login = subprocess.Popen(argv, env=served_az.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL)
    try:
        code, printed = _user_code(login, time.monotonic() + AZ_SECONDS)
        approved = served_az.vmss_tui("emulator", "approve", "--state-dir", str(served_az.state_dir), code)
        assert approved.code == 0, approved.stderr
        assert approved.stdout.startswith(f"Approved {code}: az signs in") and "@vmss-tui.emulator" in approved.stdout
        out, err = login.communicate(timeout=AZ_SECONDS)
    finally:
        if login.poll() is None:
            login.kill()
            login.communicate()
    assert login.returncode == 0, printed + err
    (account,) = json.loads(out)
    assert account["user"]["type"] == "user" and account["user"]["name"].endswith("@vmss-tui.emulator")
    assert account["id"] == served_az.subscription

    # az keeps that sign-in (vmss-tui emulator az does not switch it back to the service principal) ...
    shown = served_az.az_json("account", "show")
    assert shown["user"] == account["user"]
    # ... and what it changes is audited under the client that approved it.
    assert served_az.az("vmss", "restart", "-g", RG, "-n", "web", "--instance-ids", "0").code == 0
    from vmss_tui.admin import audit

    records, _ = audit.read(served_az.state_dir.parent / "data" / "vmss-tui" / "audit.jsonl")
    approver = account["user"]["name"].split("@", 1)[0]
    assert [r.operator for r in records if r.command.startswith("POST") and r.command.endswith("/restart")
            ][-1] == approver
    # A token for another resource comes through the refresh token the sign-in got.
    token = served_az.az_json("account", "get-access-token", "--resource", "https://management.azure.com")
    assert token["subscription"] == served_az.subscription and token["accessToken"].count(".") == 2


def test_approve_refuses_a_code_that_is_not_waiting(served_az: ServedAz) -> None:
    run = served_az.vmss_tui("emulator", "approve", "--state-dir", str(served_az.state_dir), "ZZZZZZZZZ")
    assert run.code == 1 and run.stdout == ""
    assert run.stderr.startswith("ERROR: (expired_token) AADSTS70019:") and len(run.stderr.splitlines()) == 1
    bad = served_az.vmss_tui("emulator", "approve", "--state-dir", str(served_az.state_dir), "../../etc")
    assert bad.code == 2 and bad.stderr.startswith("ERROR: (InvalidParameter)")
