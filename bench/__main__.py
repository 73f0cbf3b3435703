"""Every benchmark in one run: `python -m bench [--quick] [--only NAME ...]`.

Each module measures its figures against a baseline run in the same process tree and returns
`Figure`s; this prints them as one table per area. `--quick` takes fewer samples (under a
minute); the full run takes a few minutes. Figures are medians: machines here are noisy.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time

from bench.common import Figure, print_table

AREAS = (
    ("startup", "bench.startup", "One-shot start-up"),
    ("emulator", "bench.emulator", "Emulator and storage"),
    ("scaling", "bench.scaling", "Growth with sets, endpoint paging, one-shot stop"),
    ("tui", "bench.tui", "TUI: first frame, repaint, bytes to the terminal"),
    ("azure", "bench.azure_refresh", "Azure adapter: concurrent refresh through the ARM endpoint"),
    ("autoscale", "bench.autoscale", "Autoscale: a day of evaluations caught up lazily"),
    ("az", "bench.az", "The real az against the endpoint vs vmss-tui: start-up of one list"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples: finishes in under a minute")
    parser.add_argument("--only", nargs="+", choices=[name for name, _, _ in AREAS], help="run only these areas")
    options = parser.parse_args(argv)
    print(f"vmss-tui benchmarks — Python {platform.python_version()} on {platform.machine()}, "
          f"{'quick' if options.quick else 'full'} run")
    started = time.perf_counter()
    failures = 0
    for name, module_name, title in AREAS:
        if options.only and name not in options.only:
            continue
        module = importlib.import_module(module_name)
        try:
            figures: list[Figure] = module.run(quick=options.quick)
        except Exception as exc:  # one broken area must not hide the others' figures
            print(f"\n{title}\n  FAILED: {type(exc).__name__}: {exc}")
            failures += 1
            continue
        print_table(title, figures)
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
