"""TUI figures: first frame with a 1000-instance set, key press to repaint, bytes to the terminal.

In process (headless `run_test`, 120x40), with `Screen._compositor_refresh` wrapped to stamp
the end of every frame (perf-notes.md §2; a private API, so Textual is pinned to 8.x):

- start to first frame showing all 1000 instances, against a bare Textual app (one Static)
  to its first frame, alternating in the same process;
- key press to repaint for a cursor move, and for a status refresh of 1000 instances
  (every instance changed power state behind the app's back, then Ctrl+R), each against a
  bare DataTable of 1000 rows doing the same (cursor down; `update_cell` on every row).
  The instance table is a Line API table (widgets/line_table.py), the baseline Textual's own.
  The fault-domain map is drawn in the frame after the rows: key to that frame is shown too.

Black box (a real pty at 120x40, TERM=xterm-256color, COLORTERM=truecolor): bytes the app
writes for the first frame, a cursor move and a status refresh.

Peak RSS (VmHWM from /proc, a real pty) of the app on 50 sets x 1000 instances once its first rows
are up and it has gone quiet, against the bare app spawned the same way.

Run: python -m bench.tui [--runs N] [--only frames keys spawn bytes rss]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import select
import shutil
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from bench.common import Figure, print_table

SIZE = (120, 40)
INSTANCES = 1000
SET_NAME = "big"
GROUP = "bench-rg"


# ----------------------------------------------------------------------------- fixtures

def make_store(path: Path, sets: int = 1) -> None:
    """A store holding `sets` Uniform sets of 1000 running instances each (speed instant).

    The first is `big`, the one the app opens on (the others sort after it: `big-01`, ...)."""
    from vmss_tui.backends import open_backend
    from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

    backend = open_backend("emulator", db=path, speed="instant", rng=random.Random(1), durable=False)
    backend.create_or_update_resource_group(GROUP, "westeurope")
    backend.set_quota("westeurope", "standardDSv3Family", 10_000 * sets)
    backend.set_quota("westeurope", "Total Regional vCPUs", 10_000 * sets)
    for index in range(sets):
        backend.create_scale_set(ScaleSetSpec(name=SET_NAME if index == 0 else f"{SET_NAME}-{index:02d}",
                                              resource_group=GROUP, orchestration_mode=OrchestrationMode.UNIFORM,
                                              capacity=INSTANCES, zones=("1", "2", "3"),
                                              single_placement_group=False, location="westeurope"))
    backend.close()


def flip_power(path: Path, round_number: int) -> None:
    """Change the power state of every instance: deallocate all when they run, else start all.

    Decided from the store, not from `round_number`, so every call changes every row whatever
    ran before it.
    """
    from vmss_tui.backends import open_backend
    from vmss_tui.domain.models import PowerAction, PowerState

    del round_number
    backend = open_backend("emulator", db=path, speed="instant", durable=False)
    running = backend.get_instance(GROUP, SET_NAME, "0").power_state is PowerState.RUNNING
    action = PowerAction.DEALLOCATE if running else PowerAction.START
    backend.power_action(GROUP, SET_NAME, action, None)
    backend.close()


class FrameClock:
    """Stamps the end of every compositor refresh (the moment a frame is ready to write)."""

    def __init__(self) -> None:
        from textual.screen import Screen

        self.frames: list[float] = []
        self._screen_class = Screen
        self._original = Screen._compositor_refresh

    def __enter__(self) -> FrameClock:
        original = self._original
        frames = self.frames

        def stamped(screen: Any) -> None:
            original(screen)
            frames.append(time.perf_counter())

        self._screen_class._compositor_refresh = stamped  # type: ignore[method-assign]
        return self

    def __exit__(self, *_exc: object) -> None:
        self._screen_class._compositor_refresh = self._original  # type: ignore[method-assign]

    def first_after(self, moment: float) -> float | None:
        """End of the first frame finished after `moment`."""
        return next((stamp for stamp in self.frames if stamp > moment), None)


async def _wait_for(predicate: Any, pilot: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("benchmark condition not reached")
        await asyncio.sleep(0.002)


# ----------------------------------------------------------------------------- in-process figures

@contextlib.contextmanager
def collected_as_run_app_does() -> Any:
    """The garbage collection `vmss_tui.tui.app.run_app` sets up: what start-up imported frozen and
    no collection until the first rows (the app then freezes what it built and collects again), so
    the keys are timed with the collector a user's TUI has, not one that walks every Textual object."""
    import gc

    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


async def _vmss_first_frame(store: Path) -> tuple[float, float]:
    """Seconds from building the app to its first frame, and to the first showing all 1000 instances."""
    from vmss_tui.backends import open_backend
    from vmss_tui.tui.app import VmssApp

    from vmss_tui.tui.widgets.instance_table import InstanceTable

    shown: list[float] = []
    original_show = InstanceTable.show_instances

    def stamped_show(table: InstanceTable, set_key: Any, instances: list[Any]) -> None:
        original_show(table, set_key, instances)
        if len(instances) == INSTANCES and not shown:
            shown.append(time.perf_counter())

    InstanceTable.show_instances = stamped_show  # type: ignore[method-assign]
    try:
        with FrameClock() as clock:
            started = time.perf_counter()
            backend = open_backend("emulator", db=store, speed="instant", durable=False)
            app = VmssApp(backend, theme="dark", refresh_interval=3600, idle_refresh_interval=3600)
            async with app.run_test(size=SIZE) as pilot:
                # The first frame finished after the rows were handed to the table (the app may
                # already paint them in its very first frame).
                await _wait_for(lambda: bool(shown) and clock.first_after(shown[0]) is not None, pilot)
                frame = clock.first_after(shown[0])
    finally:
        InstanceTable.show_instances = original_show  # type: ignore[method-assign]
    assert frame is not None
    return clock.frames[0] - started, frame - started


async def _bare_first_frame() -> float:
    """Seconds from building a one-Static Textual app to its first frame."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class BareApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("hello")

    with FrameClock() as clock:
        started = time.perf_counter()
        app = BareApp()
        async with app.run_test(size=SIZE) as pilot:
            await _wait_for(lambda: bool(clock.frames), pilot)
            frame = clock.frames[0]
        return frame - started


async def _vmss_key_latencies(store: Path, runs: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """Cursor-move and status-refresh key-to-frame latencies (ms), the diff's own cost (ms), and key to
    the frame showing the fault-domain map redrawn (ms; the app draws it in the frame after the rows)."""
    from vmss_tui.backends import open_backend
    from vmss_tui.tui.app import VmssApp
    from vmss_tui.tui.widgets.fd_map import FaultDomainMap
    from vmss_tui.tui.widgets.instance_table import InstanceTable

    cursor_ms: list[float] = []
    refresh_ms: list[float] = []
    map_ms: list[float] = []
    apply_ms: list[float] = []
    applied: list[float] = []
    map_drawn: list[float] = []
    original_show = InstanceTable.show_instances
    original_draw = FaultDomainMap._draw

    def stamped_draw(fd_map: FaultDomainMap, *args: Any, **kwargs: Any) -> None:
        original_draw(fd_map, *args, **kwargs)
        map_drawn.append(time.perf_counter())

    def timed_show(table: InstanceTable, *args: Any, **kwargs: Any) -> None:
        start = time.perf_counter()
        original_show(table, *args, **kwargs)
        end = time.perf_counter()
        apply_ms.append((end - start) * 1000)
        applied.append(end)

    InstanceTable.show_instances = timed_show  # type: ignore[method-assign]
    FaultDomainMap._draw = stamped_draw  # type: ignore[method-assign]
    try:
        with FrameClock() as clock, collected_as_run_app_does():
            backend = open_backend("emulator", db=store, speed="instant", durable=False)
            app = VmssApp(backend, theme="dark", refresh_interval=3600, idle_refresh_interval=3600)
            app.collection_paused = True  # as `run_app` sets it: frozen and collecting after the first rows
            async with app.run_test(size=SIZE) as pilot:
                screen = app.main_screen
                table = screen.instance_table
                await _wait_for(lambda: table.row_count == INSTANCES, pilot)
                await pilot.press("tab")
                await pilot.pause()
                apply_ms.clear()
                for _ in range(runs):
                    pressed = time.perf_counter()
                    await pilot.press("down")
                    await _wait_for(lambda: clock.first_after(pressed) is not None, pilot)
                    cursor_ms.append((clock.first_after(pressed) - pressed) * 1000)  # type: ignore[operator]
                for round_number in range(runs):
                    flip_power(store, round_number)
                    applied.clear()
                    apply_ms_before = len(apply_ms)
                    pressed = time.perf_counter()
                    await pilot.press("ctrl+r")
                    await _wait_for(lambda: len(apply_ms) > apply_ms_before, pilot)
                    done = applied[-1]
                    await _wait_for(lambda: clock.first_after(done) is not None, pilot)
                    refresh_ms.append((clock.first_after(done) - pressed) * 1000)  # type: ignore[operator]
                    # Every instance changed state, so the map's glyphs change: it is drawn again.
                    await _wait_for(lambda: any(stamp > pressed for stamp in map_drawn), pilot, timeout=5)
                    drawn = max(map_drawn)
                    await _wait_for(lambda: clock.first_after(drawn) is not None, pilot)
                    map_ms.append((clock.first_after(drawn) - pressed) * 1000)  # type: ignore[operator]
                    await app.workers.wait_for_complete()
    finally:
        InstanceTable.show_instances = original_show  # type: ignore[method-assign]
        FaultDomainMap._draw = original_draw  # type: ignore[method-assign]
    return cursor_ms, refresh_ms, apply_ms, map_ms


async def _instance_table_alone_latencies(store: Path, runs: int) -> tuple[list[float], list[float]]:
    """The same two key presses on the app's InstanceTable alone, fed 1000 instances in process.

    No backend round trip, no other pane: what the table itself costs, next to the bare DataTable.
    """
    from dataclasses import replace

    from textual.app import App, ComposeResult
    from textual.binding import Binding

    from vmss_tui.backends import open_backend
    from vmss_tui.domain.models import PowerState
    from vmss_tui.tui.widgets.instance_table import InstanceTable

    backend = open_backend("emulator", db=store, speed="instant", durable=False)
    running = [replace(i, power_state=PowerState.RUNNING) for i in backend.list_instances(GROUP, SET_NAME)]
    deallocated = [replace(i, power_state=PowerState.DEALLOCATED) for i in running]
    backend.close()

    class TableAlone(App[None]):
        BINDINGS = [Binding("ctrl+r", "flip", "flip")]

        def __init__(self) -> None:
            super().__init__()
            self.flips = 0
            self.flipped_at = 0.0

        def compose(self) -> ComposeResult:
            yield InstanceTable()

        def on_mount(self) -> None:
            table = self.query_one(InstanceTable)
            table.show_instances((GROUP, SET_NAME), running)
            table.focus()

        def action_flip(self) -> None:
            self.flips += 1
            self.query_one(InstanceTable).show_instances((GROUP, SET_NAME),
                                                         deallocated if self.flips % 2 else running)
            self.flipped_at = time.perf_counter()

    return await _cursor_and_flip_latencies(TableAlone(), runs)


async def _cursor_and_flip_latencies(app: Any, runs: int) -> tuple[list[float], list[float]]:
    """Key to repaint for `runs` cursor moves (Down), then `runs` refreshes (ctrl+r sets `app.flipped_at`)."""
    cursor_ms: list[float] = []
    refresh_ms: list[float] = []
    with FrameClock() as clock:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            for _ in range(runs):
                pressed = time.perf_counter()
                await pilot.press("down")
                await _wait_for(lambda: clock.first_after(pressed) is not None, pilot)
                cursor_ms.append((clock.first_after(pressed) - pressed) * 1000)  # type: ignore[operator]
            for _ in range(runs):
                pressed = time.perf_counter()
                await pilot.press("ctrl+r")
                done = app.flipped_at
                await _wait_for(lambda: clock.first_after(done) is not None, pilot)
                refresh_ms.append((clock.first_after(done) - pressed) * 1000)  # type: ignore[operator]
    return cursor_ms, refresh_ms


async def _bare_table_latencies(runs: int) -> tuple[list[float], list[float]]:
    """The same two key presses on a bare DataTable of 1000 rows (the floor)."""
    from textual.app import App, ComposeResult
    from textual.binding import Binding
    from textual.widgets import DataTable

    class BareTable(App[None]):
        BINDINGS = [Binding("ctrl+r", "flip", "flip")]

        def __init__(self) -> None:
            super().__init__()
            self.flips = 0
            self.flipped_at = 0.0

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row")

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for column in ("mark", "id", "zone", "fd", "ud", "power", "prov", "model", "prot", "size", "created"):
                table.add_column(column, key=column, width=9)
            table.add_rows([(" ", str(i), "1", "0", "0", "running", "Succeeded", "yes", "-", "Standard_D2s_v3",
                             "2026-01-01 12:00") for i in range(INSTANCES)])
            table.focus()

        def action_flip(self) -> None:
            table = self.query_one(DataTable)
            self.flips += 1
            value = "deallocated" if self.flips % 2 else "running"
            for row_key in list(table.rows):
                table.update_cell(row_key, "power", value)
            self.flipped_at = time.perf_counter()

    return await _cursor_and_flip_latencies(BareTable(), runs)


# ----------------------------------------------------------------------------- pty figures

_CHILD = """
import sys
from vmss_tui.tui.app import run_app
sys.exit(run_app(backend_kind="emulator", backend_options={"db": sys.argv[1], "speed": "instant"},
                 theme="dark", read_only=False, mouse=False))
"""


def _read_until_quiet(fd: int, quiet: float, limit: float) -> bytes:
    """Everything the child writes until it stays silent for `quiet` seconds (or `limit` passes)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], quiet)
        if not ready:
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks)


_BARE_CHILD = """
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("bare app ready")


Bare().run(mouse=False)
"""


@contextmanager
def _pty_child(argv: list[str], env: dict[str, str]) -> Iterator[int]:
    """Run `argv` on a pty of SIZE; yields the master fd, and kills the child afterwards."""
    import fcntl
    import pty
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        yield fd
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)


def _spawn_until_visible(argv: list[str], marker: str, limit: float = 30.0) -> float:
    """Seconds from spawning `argv` in a pty until `marker` is on its (pyte-rendered) screen.

    This is what a user waits for: interpreter start, imports, the backend read and the paint.
    """
    import pyte

    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", TEXTUAL_DISABLE_KITTY_KEY="1")
    started = time.perf_counter()
    with _pty_child(argv, env) as fd:
        screen = pyte.Screen(*SIZE)
        stream = pyte.ByteStream(screen)
        deadline = started + limit
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                stream.feed(data)
                if any(marker in line for line in screen.display):
                    return time.perf_counter() - started
        raise RuntimeError(f"{marker!r} never appeared; the screen showed:\n" + "\n".join(screen.display))


SPAWN_SET_COUNTS = (1, 50)
"""Spawn is measured on a store of one 1000-instance set and on one of 50 such sets."""


def _spawn_first_frames(store: Path, runs: int) -> tuple[dict[int, list[float]], list[float]]:
    """Spawn-to-visible for vmss-tui (first instance rows) per store size, and a bare Textual app,
    all alternating in one run so every figure meets the same machine load."""
    vmss: dict[int, list[float]] = {count: [] for count in SPAWN_SET_COUNTS}
    bare: list[float] = []
    argvs: dict[int, list[str]] = {}
    for count in SPAWN_SET_COUNTS:
        spawn_store = store.with_name(f"spawn-store-{count}")  # its own: other figures flip the power states
        make_store(spawn_store, sets=count)
        argvs[count] = [sys.executable, "-m", "vmss_tui", "--db", str(spawn_store), "--speed", "instant",
                        "--no-mouse"]
        _spawn_until_visible(argvs[count], "running")  # warm the page cache and .pyc files
    for _ in range(runs):
        bare.append(_spawn_until_visible([sys.executable, "-c", _BARE_CHILD], "bare app ready") * 1000)
        for count in SPAWN_SET_COUNTS:
            vmss[count].append(_spawn_until_visible(argvs[count], "running") * 1000)
    return vmss, bare


def _peak_rss_kib(argv: list[str], marker: str, settle: float = 2.0, limit: float = 60.0) -> int:
    """Peak resident memory (VmHWM, KiB) of `argv` run in a pty of SIZE: once `marker` is on its
    screen and it has stayed quiet for `settle` seconds (the side panes, the other sets' counts).

    Read from /proc while the child lives, so it is the child's own peak, whatever ran before it.
    """
    import fcntl
    import pty
    import struct
    import termios

    import pyte

    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", TEXTUAL_DISABLE_KITTY_KEY="1")
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(argv[0], argv, env)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        screen = pyte.Screen(*SIZE)
        stream = pyte.ByteStream(screen)
        deadline = time.monotonic() + limit
        while not any(marker in line for line in screen.display):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{marker!r} never appeared; the screen showed:\n" + "\n".join(screen.display))
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                stream.feed(os.read(fd, 65536))
        _read_until_quiet(fd, quiet=settle, limit=limit)
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            peak = next(line for line in status if line.startswith("VmHWM:"))
        return int(peak.split()[1])
    finally:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)


def _peak_rss(store: Path, runs: int) -> tuple[list[float], list[float]]:
    """Peak RSS (MiB) of vmss-tui on 50 sets x 1000 and of a bare Textual app, alternating."""
    spawn_store = store.with_name("rss-store-50")
    make_store(spawn_store, sets=50)
    argv = [sys.executable, "-m", "vmss_tui", "--db", str(spawn_store), "--speed", "instant", "--no-mouse"]
    vmss: list[float] = []
    bare: list[float] = []
    for _ in range(max(1, runs // 2)):
        bare.append(_peak_rss_kib([sys.executable, "-c", _BARE_CHILD], "bare app ready") / 1024)
        vmss.append(_peak_rss_kib(argv, "running") / 1024)
    return vmss, bare


def _pty_bytes(store: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    """Bytes written for the first frames, a cursor move and a status refresh, in a real pty."""
    startup: list[float] = []
    cursor: list[float] = []
    refresh: list[float] = []
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor", TEXTUAL_DISABLE_KITTY_KEY="1")
    env.pop("NO_COLOR", None)
    import pyte

    for round_number in range(max(1, runs // 2)):
        with _pty_child([sys.executable, "-c", _CHILD, str(store)], env) as fd:
            # Start-up: everything until the rows are on screen and the app has gone quiet.
            screen = pyte.Screen(*SIZE)
            stream = pyte.ByteStream(screen)
            first = _read_until_visible(fd, stream, screen, f"({INSTANCES})", limit=30)
            first += _read_until_quiet(fd, quiet=1.5, limit=30)
            startup.append(len(first))
            os.write(fd, b"\t")  # focus the instances
            _read_response(fd, quiet=0.5, limit=5)
            for _ in range(3):
                os.write(fd, b"\x1b[B")
                cursor.append(len(_read_response(fd, quiet=0.4, limit=5)))
            flip_power(store, round_number)
            os.write(fd, b"\x12")  # ctrl+r
            refresh.append(len(_read_response(fd, quiet=0.6, limit=10)))
            os.write(fd, b"q")
            _read_until_quiet(fd, quiet=0.5, limit=5)
    return startup, cursor, refresh


def _read_response(fd: int, quiet: float, limit: float) -> bytes:
    """What the child writes in answer to a key: wait up to `limit` for the first byte, then until quiet.

    A loaded machine may take longer than `quiet` to answer; those bytes belong to this key, not the next.
    """
    ready, _, _ = select.select([fd], [], [], limit)
    if not ready:
        return b""
    return _read_until_quiet(fd, quiet=quiet, limit=limit)


def _read_until_visible(fd: int, stream: Any, screen: Any, marker: str, limit: float) -> bytes:
    """Everything the child writes until `marker` is on its (pyte-rendered) screen."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        chunks.append(data)
        stream.feed(data)
        if any(marker in line for line in screen.display):
            return b"".join(chunks)
    raise RuntimeError(f"{marker!r} never appeared; the screen showed:\n" + "\n".join(screen.display))


# ----------------------------------------------------------------------------- entry points

MEASUREMENTS = ("frames", "keys", "spawn", "bytes", "rss")
"""Groups of figures `--only` can pick: in-process first frames, key latencies, spawn, pty bytes, peak RSS."""


def run(quick: bool = False, runs: int | None = None, only: set[str] | None = None) -> list[Figure]:
    """Measure the TUI figures (every group, or those in `only`); `quick` takes fewer samples."""
    runs = runs or (3 if quick else 7)
    wanted = set(only or MEASUREMENTS)
    figures: list[Figure] = []
    workdir = Path(tempfile.mkdtemp(prefix="vmss-bench-tui-"))
    store = workdir / "store"
    try:
        make_store(store)
        if "spawn" in wanted:
            spawn_vmss, spawn_bare = _spawn_first_frames(store, runs)
            figures += [
                Figure("spawn to first rows on screen, 1 x 1000 instances", spawn_vmss[1],
                       "bare Textual app spawned", spawn_bare, target="<= 1.3x"),
                Figure("spawn to first rows on screen, 50 sets x 1000", spawn_vmss[50],
                       "bare Textual app spawned", spawn_bare, target="<= 1.5x"),
            ]
        if "frames" in wanted:
            vmss_frames: list[float] = []
            vmss_chrome_frames: list[float] = []
            bare_frames: list[float] = []
            for _ in range(runs):
                bare_frames.append(asyncio.run(_bare_first_frame()) * 1000)
                chrome, with_data = asyncio.run(_vmss_first_frame(store))
                vmss_chrome_frames.append(chrome * 1000)
                vmss_frames.append(with_data * 1000)
            figures += [
                Figure("all 1000 rows on screen (in process)", vmss_frames, "bare Textual app", bare_frames),
                Figure("  first frame of any kind (panes, no rows yet)", vmss_chrome_frames, "bare Textual app",
                       bare_frames),
            ]
        if "keys" in wanted:
            cursor_ms, refresh_ms, apply_ms, map_ms = asyncio.run(_vmss_key_latencies(store, runs))
            bare_cursor, bare_refresh = asyncio.run(_bare_table_latencies(runs))
            alone_cursor, alone_refresh = asyncio.run(_instance_table_alone_latencies(store, runs))
            figures += [
                Figure("cursor move: key to repaint", cursor_ms, "bare DataTable 1k", bare_cursor,
                       target="<= 8 ms"),
                Figure("status refresh of 1000 instances: key to repaint", refresh_ms,
                       "bare DataTable 1k update_cell", bare_refresh, target="<= 50 ms"),
                Figure("  of which: diff + repaint requests (show_instances)", apply_ms),
                Figure("  key to the fault-domain map redrawn (the frame after the rows)", map_ms),
                Figure("  instance table alone: cursor move", alone_cursor, "bare DataTable 1k", bare_cursor),
                Figure("  instance table alone: 1000-row refresh", alone_refresh, "bare DataTable 1k update_cell",
                       bare_refresh),
            ]
        if "bytes" in wanted:
            startup_bytes, cursor_bytes, refresh_bytes = _pty_bytes(store, runs)
            figures += [
                Figure("bytes to terminal: first frames (pty)", startup_bytes, unit="B"),
                Figure("bytes to terminal: cursor move (pty)", cursor_bytes, unit="B"),
                Figure("bytes to terminal: status refresh (pty)", refresh_bytes, unit="B", target="<= 8 KB"),
            ]
        if "rss" in wanted:
            rss_vmss, rss_bare = _peak_rss(store, runs)
            figures.append(Figure("peak RSS, 50 sets x 1000 (pty, VmHWM)", rss_vmss, "bare Textual app", rss_bare,
                                  unit="MiB", target="<= 2x"))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="samples per figure (default 7)")
    parser.add_argument("--only", nargs="+", choices=MEASUREMENTS, help="measure only these groups")
    options = parser.parse_args(argv)
    figures = run(runs=options.runs, only=set(options.only) if options.only else None)
    print_table(f"TUI at {SIZE[0]}x{SIZE[1]}, one Uniform set of {INSTANCES} instances", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
