"""Start-up time of a one-shot `vmss-tui list -o json` against bare-interpreter baselines.

Each figure is a fresh subprocess, timed from spawn to exit, on a seeded emulator store
with speed=instant. Byte-code is cached in a private PYTHONPYCACHEPREFIX (written by a
warm-up run), as an installed package would have it; one extra row runs with
PYTHONDONTWRITEBYTECODE=1 and no prefix, so vmss_tui (a source checkout without
__pycache__) is compiled on every start while the stdlib and site-packages keep their .pyc:
what a sandbox that forbids writing .pyc files pays. Baselines run in the same loop: `python -c pass` (the floor) and
`python -c "import textual"` (what the one-shot path must not pay).

Run: python -m bench.startup [--runs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.common import Figure, print_table, timed_run


def main(argv: list[str] | None = None) -> int:
    """Measure and print the start-up table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per figure (default 15)")
    options = parser.parse_args(argv)
    figures = run(runs=options.runs)
    print_table("One-shot start-up (spawn to exit, warm .pyc)", figures)
    return 0


def run(quick: bool = False, runs: int | None = None) -> list[Figure]:
    """Spawn each command `runs` times, interleaved; figures against `python -c pass`."""
    options = argparse.Namespace(runs=runs or (5 if quick else 15))

    workdir = Path(tempfile.mkdtemp(prefix="vmss-bench-startup-"))
    try:
        base_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("VMSS_TUI_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
        base_env["XDG_CONFIG_HOME"] = str(workdir / "config")
        env = dict(base_env, PYTHONPYCACHEPREFIX=str(workdir / "pycache"))
        cold_env = dict(base_env, PYTHONDONTWRITEBYTECODE="1")
        db = workdir / "db"
        from vmss_tui.backends import open_backend

        backend = open_backend("emulator", db=db, speed="instant")
        backend.seed_practice_estate()
        backend.close()

        python = sys.executable
        script = Path(python).with_name("vmss-tui")
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "python -c 'import textual'": [python, "-c", "import textual"],
            "python -c 'import textual.app'": [python, "-c", "import textual.app"],
            "vmss-tui list -o json (python -m)": [python, "-m", "vmss_tui", "list", "-o", "json", "--db", str(db),
                                                  "--speed", "instant"],
        }
        if script.exists():
            commands["vmss-tui list -o json (console script)"] = [str(script), "list", "-o", "json", "--db",
                                                                  str(db), "--speed", "instant"]
        no_cache_name = "vmss-tui list -o json (DONTWRITEBYTECODE)"
        runs = [(name, command, env) for name, command in commands.items()]
        runs.append((no_cache_name, commands["vmss-tui list -o json (python -m)"], cold_env))
        samples: dict[str, list[float]] = {name: [] for name, _, _ in runs}
        for _name, command, run_env in runs:  # warm-up: compile .pyc, fill the page cache
            timed_run(command, run_env)
        for _ in range(options.runs):  # interleaved so drift hits every figure alike
            for name, command, run_env in runs:
                samples[name].append(timed_run(command, run_env))

        base_name = "python -c pass"
        textual_name = "python -c 'import textual'"
        figures = [Figure(name, samples[name], baseline_name=base_name, baseline=samples[base_name])
                   for name in samples if not name.startswith("vmss-tui")]
        for name in samples:
            if name.startswith("vmss-tui"):
                figures.append(Figure(name, samples[name], base_name, samples[base_name], target="<= 250 ms"))
                figures.append(Figure("  same, against a bare import textual", samples[name], textual_name,
                                      samples[textual_name]))
        return figures
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
