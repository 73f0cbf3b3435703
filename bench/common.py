"""Shared timing and table printing for the benchmarks: medians, min-max, ratio to a baseline."""

from __future__ import annotations

import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Figure:
    """One measured figure and the baseline it is compared with."""

    name: str
    samples: list[float]
    baseline_name: str = ""
    baseline: list[float] | None = None
    target: str = ""
    unit: str = "ms"

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        base = statistics.median(self.baseline)
        return self.median / base if base else None


def measure(action: Callable[[], object], runs: int, setup: Callable[[], object] | None = None,
            scale: float = 1000.0) -> list[float]:
    """Run `action` `runs` times (after `setup` each time, untimed); return durations (ms by default)."""
    samples = []
    for _ in range(runs):
        if setup is not None:
            setup()
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * scale)
    return samples


def fmt(value: float, unit: str) -> str:
    """A figure with a sensible number of digits."""
    if unit == "B":
        return f"{value:,.0f} B"
    if value >= 100:
        return f"{value:,.0f} {unit}"
    if value >= 10:
        return f"{value:.1f} {unit}"
    return f"{value:.2f} {unit}"


def print_table(title: str, figures: list[Figure]) -> None:
    """Print figures as a plain table: figure, median, min-max, baseline median, ratio, target."""
    print(f"\n{title}")
    width = max([len("figure")] + [len(fig.name) for fig in figures])
    header = f"{'figure':<{width}} {'median':>11} {'min-max':>21} {'baseline':>34} {'ratio':>7}  target"
    print(header)
    print("-" * len(header))
    for fig in figures:
        lo, hi = min(fig.samples), max(fig.samples)
        span = f"{fmt(lo, fig.unit)}-{fmt(hi, fig.unit)}"
        base = ""
        if fig.baseline:
            base = f"{fig.baseline_name}: {fmt(statistics.median(fig.baseline), fig.unit)}"
        ratio = f"{fig.ratio:.2f}x" if fig.ratio is not None else ""
        print(f"{fig.name:<{width}} {fmt(fig.median, fig.unit):>11} {span:>21} {base:>34} {ratio:>7}  {fig.target}"
              f"  (n={len(fig.samples)})")


def timed_run(argv: list[str], env: dict[str, str]) -> float:
    """Milliseconds from spawning `argv` to its exit; a failing run stops the bench with its stderr."""
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = (time.perf_counter() - start) * 1000.0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace').strip()}")
    return elapsed
