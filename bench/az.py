"""Start-up of one `az vmss list` against the emulator's endpoint vs `vmss-tui list`, same run.

Both are fresh processes, timed from spawn to exit, interleaved so drift hits both alike, on the
seeded practice estate at speed=instant:
- `az vmss list -o json` with the environment `vmss-tui emulator az` gives it (signed in once
  before timing, so every timed run reuses MSAL's cached token as a user's second command does);
- `vmss-tui emulator az vmss list` (the same plus our wrapper's start-up);
- `vmss-tui list -o json` on the same store, directly;
- `vmss-tui --backend azure --auth emulator list` through the same endpoint (token from the authority).
az is found as `emulator az` finds it (VMSS_TUI_AZ, then PATH); without it the area fails saying so.

Run: python -m bench.az [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Figure, print_table, timed_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs per figure (default 9)")
    options = parser.parse_args(argv)
    print_table("az start-up against the endpoint (spawn to exit)", run(runs=options.runs))
    return 0


def run(quick: bool = False, runs: int | None = None) -> list[Figure]:
    from tests.server_process import running_server
    from vmss_tui.admin.az import az_environment, az_login, find_az, load_endpoint

    az = find_az()
    runs = runs or (3 if quick else 9)
    workdir = Path(tempfile.mkdtemp(prefix="vmss-bench-az-"))
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VMSS_TUI_", "AZURE_"))}
        env.update(XDG_CONFIG_HOME=str(workdir / "config"), XDG_DATA_HOME=str(workdir / "data"), VMSS_TUI_AZ=az)
        db, state = workdir / "db", workdir / "arm-state"
        python = sys.executable
        serve = [python, "-m", "vmss_tui", "emulator", "serve", "--port", "0", "--db", str(db), "--seed",
                 "--state-dir", str(state), "--speed", "instant"]
        with running_server(serve, "Press Ctrl+C", env=env, cwd=workdir):
            endpoint = load_endpoint(state)
            az_login(az, endpoint)
            az_env = az_environment(endpoint, env)
            commands = {
                "az vmss list -o json": ([az, "vmss", "list", "-o", "json"], az_env),
                "vmss-tui emulator az vmss list": (
                    [python, "-m", "vmss_tui", "emulator", "az", "--state-dir", str(state), "vmss", "list", "-o",
                     "json"], env),
                "vmss-tui list -o json (emulator)": (
                    [python, "-m", "vmss_tui", "--db", str(db), "--speed", "instant", "list", "-o", "json"], env),
                "vmss-tui --backend azure list (endpoint)": (
                    [python, "-m", "vmss_tui", "--backend", "azure", "--auth", "emulator", "--base-url",
                     endpoint.base_url, "--ca-bundle", str(endpoint.ca_path), "--subscription",
                     endpoint.subscription_id, "list", "-o", "json"], env),
            }
            listed = subprocess.run(commands["az vmss list -o json"][0], env=az_env, capture_output=True, text=True)
            if listed.returncode != 0 or '"name": "web"' not in listed.stdout:
                raise RuntimeError(f"az vmss list did not list the practice estate: {listed.stderr.strip()}")
            samples: dict[str, list[float]] = {name: [] for name in commands}
            for command, command_env in commands.values():  # warm-up: .pyc, page cache, token cache
                timed_run(command, command_env)
            for _ in range(runs):
                for name, (command, command_env) in commands.items():
                    samples[name].append(timed_run(command, command_env))
        base = "vmss-tui list -o json (emulator)"
        return [Figure(name, samples[name], baseline_name=base, baseline=samples[base]) for name in samples]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
