"""Start-up: a one-shot `vmss-tui list -o json` against bare-interpreter baselines, and the TUI's
spawn to its first rows against a bare Textual app's spawn to its first frame.

Each figure is a fresh subprocess, timed from spawn to exit, on a seeded emulator store
with speed=instant. Byte-code is cached in a private PYTHONPYCACHEPREFIX (written by a
warm-up run), as an installed package would have it; one extra row runs with
PYTHONDONTWRITEBYTECODE=1 and no prefix, so vmss_tui (a source checkout without
__pycache__) is compiled on every start while the stdlib and site-packages keep their .pyc:
what a sandbox that forbids writing .pyc files pays. Baselines run in the same loop: `python -c pass` (the floor) and
`python -c "import textual"` (what the one-shot path must not pay).

TUI spawn (`--only tui`): `python -m vmss_tui` in a real pty (120x40, TERM=xterm-256color) until
an instance row ("running") is on its pyte-rendered screen, on a store of one set of 1000 running
instances and on one of 50 such sets; the baseline is a one-Static Textual app until its text is on
screen. All three alternate in one loop, after one warm-up start each that the user ends with `q`
(warm .pyc in the private prefix, the start-up caches of the private cache dir -- themes, parsed
stylesheets, compiled dataclass functions -- and the page cache filled, as on a user's second
start); one more row
compiles vmss_tui on every start (PYTHONDONTWRITEBYTECODE=1, no prefix), as the sandbox here
runs by default. Spawn to screen includes the interpreter start and the terminal's round trip:
what a user waits for.

Run: python -m bench.startup [--runs N] [--only oneshot tui]
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
    parser.add_argument("--runs", type=int, default=None, help="runs per figure (default 15; TUI spawn 9)")
    parser.add_argument("--only", nargs="+", choices=AREAS, help="run only these groups")
    options = parser.parse_args(argv)
    figures = run(runs=options.runs, only=set(options.only or AREAS))
    print_table("Start-up (spawn to exit, spawn to first rows; warm .pyc)", figures)
    return 0


AREAS = ("oneshot", "tui")


def run(quick: bool = False, runs: int | None = None, only: set[str] | None = None) -> list[Figure]:
    """The one-shot figures (against `python -c pass`) and the TUI spawn figures (against a bare app)."""
    wanted = only or set(AREAS)
    figures: list[Figure] = []
    if "oneshot" in wanted:
        figures += run_one_shot(quick=quick, runs=runs)
    if "tui" in wanted:
        figures += run_tui_spawn(quick=quick, runs=runs)
    return figures


def bench_environments(workdir: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(warm, cold): no VMSS_TUI_* settings, private config and cache dirs; warm keeps .pyc files in a
    private prefix, cold compiles vmss_tui on every start (stdlib and site-packages keep theirs)."""
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith("VMSS_TUI_") and k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    base_env["XDG_CONFIG_HOME"] = str(workdir / "config")
    base_env["XDG_CACHE_HOME"] = str(workdir / "cache")
    return dict(base_env, PYTHONPYCACHEPREFIX=str(workdir / "pycache")), dict(base_env, PYTHONDONTWRITEBYTECODE="1")


def run_one_shot(quick: bool = False, runs: int | None = None) -> list[Figure]:
    """Spawn each command `runs` times, interleaved; figures against `python -c pass`."""
    options = argparse.Namespace(runs=runs or (5 if quick else 15))

    workdir = Path(tempfile.mkdtemp(prefix="vmss-bench-startup-"))
    try:
        env, cold_env = bench_environments(workdir)
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


TUI_MARKER = "running"
"""On screen once an instance row is: the power state column of a running instance."""


def run_tui_spawn(quick: bool = False, runs: int | None = None) -> list[Figure]:
    """Spawn to first rows of vmss-tui (1 x 1000 and 50 x 1000) and to a bare app's first frame, interleaved."""
    from bench.tui import _BARE_CHILD, make_store

    count = runs or (3 if quick else 9)
    workdir = Path(tempfile.mkdtemp(prefix="vmss-bench-spawn-"))
    try:
        env, cold_env = bench_environments(workdir)
        python = sys.executable
        cases: dict[str, tuple[list[str], str, dict[str, str]]] = {
            "bare Textual app: spawn to first frame": ([python, "-c", _BARE_CHILD], "bare app ready", env)}
        for sets in (1, 50):
            store = workdir / f"store-{sets}"
            make_store(store, sets=sets)
            argv = [python, "-m", "vmss_tui", "--db", str(store), "--speed", "instant", "--no-mouse"]
            label = "1 x 1000 instances" if sets == 1 else f"{sets} sets x 1000"
            cases[f"TUI: spawn to first rows, {label}"] = (argv, TUI_MARKER, env)
            if sets == 1:
                cases["  same, compiling vmss_tui every start"] = (argv, TUI_MARKER, cold_env)
        samples: dict[str, list[float]] = {name: [] for name in cases}
        for argv, marker, run_env in cases.values():  # warm-up: .pyc, start-up caches, page cache
            spawn_until_visible(argv, marker, run_env, quit_keys=b"" if marker == "bare app ready" else b"q")
        for _ in range(count):  # interleaved so drift hits every figure alike
            for name, (argv, marker, run_env) in cases.items():
                samples[name].append(spawn_until_visible(argv, marker, run_env))
        bare_name = "bare Textual app: spawn to first frame"
        targets = {"TUI: spawn to first rows, 1 x 1000 instances": "<= 1.3x",
                   "TUI: spawn to first rows, 50 sets x 1000": "<= 1.5x"}
        return [Figure(name, samples[name], "" if name == bare_name else "bare app",
                       None if name == bare_name else samples[bare_name], target=targets.get(name, ""))
                for name in cases]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def spawn_until_visible(argv: list[str], marker: str, env: dict[str, str], limit: float = 60.0,
                        size: tuple[int, int] = (120, 40), quit_keys: bytes = b"") -> float:
    """Milliseconds from spawning `argv` on a pty of `size` until `marker` is on its screen (pyte).

    `quit_keys` (a warm-up): typed once the marker shows, and the program is given a few seconds to
    end by itself, as a user's first session ends, so it keeps what it keeps for the next start
    (the TUI's parsed stylesheets and compiled functions, see vmss_tui/compile_cache.py)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    import time

    import pyte

    run_env = dict(env, TERM="xterm-256color", COLORTERM="truecolor", TEXTUAL_DISABLE_KITTY_KEY="1")
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child
        os.execvpe(argv[0], argv, run_env)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        screen = pyte.Screen(*size)
        stream = pyte.ByteStream(screen)
        while time.perf_counter() < started + limit:
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    stream.feed(os.read(fd, 65536))
                except OSError:
                    break
                if any(marker in line for line in screen.display):
                    elapsed = (time.perf_counter() - started) * 1000
                    if quit_keys:
                        _quit_and_wait(pid, fd, quit_keys)
                    return elapsed
        raise RuntimeError(f"{marker!r} never appeared; the screen showed:\n" + "\n".join(screen.display))
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):  # a warm-up that quit was reaped already
            pass
        os.close(fd)


def _quit_and_wait(pid: int, fd: int, keys: bytes, limit: float = 10.0) -> None:
    """Type `keys` into the pty and drain its output until the program exits (or `limit` seconds pass)."""
    import select
    import time

    time.sleep(0.5)  # the first rows are painted; the rest of the screen mounts
    os.write(fd, keys)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        finished, _status = os.waitpid(pid, os.WNOHANG)
        if finished:
            return
        if select.select([fd], [], [], 0.05)[0]:
            try:
                os.read(fd, 65536)
            except OSError:
                pass


if __name__ == "__main__":
    raise SystemExit(main())
