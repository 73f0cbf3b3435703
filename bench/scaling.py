"""Costs that must grow with the number of sets, not instances (issue 11), each against a same-run baseline.

- `vmss-tui list -o json` on 50 sets x 1000 instances against 1 x 1000 (fresh processes, spawn to exit);
- the ARM endpoint: a full nextLink walk of a 1000-instance set's VMs against its first page, both
  right after a change to the set (nothing reusable yet), served in process by `ArmApp.handle`
  including the JSON encoding (TLS and sockets excluded: the same for every request);
- one-shot `vmss-tui stop <set> 5` (waiting, and --no-wait) on a 1000-instance set against `list`;
- in process: `list_instances` of a 1000-instance set right after a stop (or start) of all of it, what a
  TUI status refresh costs after every change (issue 11: the refresh <= 50 ms), against the same call
  on an unchanged set.

Run: python -m bench.scaling [--quick] [--list-only | --endpoint-only]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from bench.common import Figure, measure, print_table, timed_run
from vmss_tui.armserver.app import ArmApp, ServerSettings
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, PowerAction, ScaleSetSpec

RG = "rg"


def _estate(root: Path, sets: int, instances: int = 1000) -> None:
    backend = open_backend("emulator", db=root, speed="instant")
    backend.create_or_update_resource_group(RG, "westeurope")
    backend.set_quota("westeurope", "standardDSv3Family", 10**7)
    backend.set_quota("westeurope", "Total Regional vCPUs", 10**7)
    for index in range(sets):
        backend.create_scale_set(ScaleSetSpec(
            name=f"web{index}", resource_group=RG, orchestration_mode=OrchestrationMode.UNIFORM,
            capacity=instances, vm_size="Standard_D2s_v3", single_placement_group=False))
    backend.close()


def list_after_change(runs: int = 11) -> list[Figure]:
    """`list_instances` of 1000 instances right after every instance changed (a stop or start of the set)."""
    work = Path(tempfile.mkdtemp(prefix="vmss-bench-list-"))
    try:
        _estate(work, 1)
        backend = open_backend("emulator", db=work, speed="instant")
        actions = iter([PowerAction.POWER_OFF, PowerAction.START] * runs)

        def change_all() -> None:  # every instance's stored doc changes
            backend.power_action(RG, "web0", next(actions), None)

        fresh = measure(lambda: backend.list_instances(RG, "web0"), runs, setup=change_all)
        unchanged = measure(lambda: backend.list_instances(RG, "web0"), runs)
        backend.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [Figure("list_instances 1000, right after a stop/start of all", fresh,
                   "list_instances 1000, set unchanged", unchanged, target="<= 50 ms")]


def run(quick: bool = False) -> list[Figure]:
    runs = 5 if quick else 11
    work = Path(tempfile.mkdtemp(prefix="vmss-bench-scaling-"))
    figures: list[Figure] = []
    try:
        one, fifty = work / "one", work / "fifty"
        _estate(one, 1)
        _estate(fifty, 50)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VMSS_TUI_")}
        env["XDG_CONFIG_HOME"] = str(work / "config")
        cli = [sys.executable, "-m", "vmss_tui"]
        commands = {
            "list 1x1000": cli + ["list", "-o", "json", "--db", str(one), "--speed", "instant"],
            "list 50x1000": cli + ["list", "-o", "json", "--db", str(fifty), "--speed", "instant"],
            "stop": cli + ["stop", "web0", "5", "--yes", "--db", str(one), "--speed", "instant"],
            "stop --no-wait": cli + ["stop", "web0", "6", "--yes", "--no-wait", "--db", str(one), "--speed", "instant"],
        }
        start_again = cli + ["start", "web0", "5", "6", "--yes", "--db", str(one), "--speed", "instant"]
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():  # warm-up: .pyc and page cache
            timed_run(argv, env)
        for _ in range(runs):  # interleaved, so drift hits every figure alike
            for name, argv in commands.items():
                samples[name].append(timed_run(argv, env))
            timed_run(start_again, env)
        figures.append(Figure("list -o json, 50 sets x 1000 (spawn to exit)", samples["list 50x1000"],
                              "list -o json, 1 x 1000", samples["list 1x1000"], target="<= 1.2x"))
        figures.append(Figure("stop web0 5, 1000-instance set (one-shot)", samples["stop"],
                              "list -o json, 1 x 1000", samples["list 1x1000"]))
        figures.append(Figure("stop web0 6 --no-wait (one-shot)", samples["stop --no-wait"],
                              "list -o json, 1 x 1000", samples["list 1x1000"]))

        figures += endpoint_figures(one, runs * 2)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures + list_after_change(runs)


def endpoint_figures(root: Path, runs: int) -> list[Figure]:
    """A full nextLink walk of a 1000-instance set's VMs against its first page, both right after a
    change, served in process by `ArmApp.handle` including the JSON encoding; interleaved (a page, a
    walk, a page, ...) so a noisy moment on the machine hits both sides alike."""
    backend = open_backend("emulator", db=root, speed="instant")
    app = ArmApp(backend, ServerSettings())
    base = "https://emulator.bench"
    url = (f"/subscriptions/{backend.info().subscription_id}/resourceGroups/{RG}/providers/"
           "Microsoft.Compute/virtualMachineScaleSets/web0/virtualMachines?api-version=2024-07-01")
    headers = {"Authorization": "Bearer bench"}
    flip = {"on": False}

    def change() -> None:  # any write to the set: its views and rows must be rebuilt
        flip["on"] = not flip["on"]
        backend.set_protection(RG, "web0", ["9"], protect_from_scale_in=flip["on"])

    def get(target: str) -> str | None:
        response = app.handle("GET", target, headers, b"", base)
        response.body_bytes()
        link = response.body.get("nextLink")
        return link[len(base):] if link else None

    def walk() -> None:
        target: str | None = url
        pages = 0
        while target:
            target = get(target)
            pages += 1
        if pages != 10:
            raise SystemExit(f"the walk took {pages} pages, not 10")

    def cpu(action: Callable[[], object]) -> float:
        """CPU milliseconds of this thread: what the work costs, without the waits of a shared machine."""
        start = time.thread_time()
        action()
        return (time.thread_time() - start) * 1000.0

    page: list[float] = []
    full: list[float] = []
    page_cpu: list[float] = []
    full_cpu: list[float] = []
    for _ in range(runs):
        page += measure(lambda: get(url), 1, setup=change)
        full += measure(walk, 1, setup=change)
        change()
        page_cpu.append(cpu(lambda: get(url)))
        change()
        full_cpu.append(cpu(walk))
    warm_page = measure(lambda: get(url), runs)
    backend.close()
    return [Figure("endpoint: all 1000 VMs (10 pages), after a change", full,
                   "first page of 100, after a change", page, target="<= 2x"),
            Figure("endpoint: the same walk, CPU time", full_cpu, "first page, CPU time", page_cpu,
                   target="<= 2x"),
            Figure("endpoint: one page, set unchanged", warm_page, "first page, after a change", page)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--list-only", action="store_true", help="only list_instances after a change (in process)")
    parser.add_argument("--endpoint-only", action="store_true", help="only the endpoint walk against one page")
    options = parser.parse_args()
    if options.endpoint_only:
        work = Path(tempfile.mkdtemp(prefix="vmss-bench-endpoint-"))
        try:
            _estate(work, 1)
            print_table("Endpoint paging", endpoint_figures(work, 11 if options.quick else 31))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    if options.list_only:
        print_table("list_instances after a change", list_after_change(5 if options.quick else 11))
        return
    print_table("Growth with sets, endpoint paging, one-shot stop", run(quick=options.quick))


if __name__ == "__main__":
    main()
