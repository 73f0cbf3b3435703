"""Concurrent refresh of many scale sets through the Azure adapter, against a slow ARM endpoint.

Ten scale sets are served by `vmss-tui emulator serve` (in a thread) with 100 ms injected
latency per request. Refreshing a set means "get the set, then list its instances" (two round
trips). The baseline does that set after set through the same adapter; the concurrent run uses
`refresh_scale_sets`, which fans the sets out over a thread pool. Both run in this process.

    python -m bench.azure_refresh [--sets 10] [--latency-ms 100] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench.common import Figure, print_table
from vmss_tui.armserver import serve_in_thread
from vmss_tui.backends import open_backend
from vmss_tui.backends.azure.testing import StaticTokenCredential
from vmss_tui.domain.errors import AzureError
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

RG = "bench-rg"


def run(quick: bool = False, sets: int = 10, latency_ms: float = 100.0, runs: int | None = None) -> list[Figure]:
    """Time the refresh four ways; figures in ms, with round trips (elapsed / latency) in the name."""
    options = argparse.Namespace(sets=sets, latency_ms=latency_ms, runs=runs or (2 if quick else 7))
    latency = options.latency_ms / 1000.0

    with tempfile.TemporaryDirectory() as scratch:
        emulator = open_backend("emulator", db=Path(scratch) / "store", speed="instant", durable=False)
        emulator.create_or_update_resource_group(RG, "westeurope")
        for index in range(options.sets):
            mode = OrchestrationMode.UNIFORM if index % 2 == 0 else OrchestrationMode.FLEXIBLE
            emulator.wait(emulator.create_scale_set(ScaleSetSpec(
                name=f"set{index:02d}", resource_group=RG, orchestration_mode=mode, capacity=3)))
        server = serve_in_thread(emulator, state_dir=Path(scratch) / "state")
        def open_adapter():  # type: ignore[no-untyped-def]
            return open_backend("azure", subscription=server.subscription_id, credential=StaticTokenCredential(),
                                base_url=server.base_url, connection_verify=str(server.ca_path),
                                polling_interval=0)

        adapter = open_adapter()
        keys = [(RG, f"set{index:02d}") for index in range(options.sets)]
        adapter.refresh_scale_sets(keys)  # warm up: imports, TLS sessions, connection pool
        server.settings.latency = latency

        def sequential() -> float:
            started = time.perf_counter()
            results = [adapter.refresh_scale_sets([key])[0] for key in keys]
            elapsed = time.perf_counter() - started
            assert not any(isinstance(result, AzureError) for result in results)
            return elapsed

        def concurrent() -> float:
            started = time.perf_counter()
            results = adapter.refresh_scale_sets(keys)
            elapsed = time.perf_counter() - started
            assert not any(isinstance(result, AzureError) for result in results)
            return elapsed

        def protocol_only() -> float:
            """What a front end does without the capability: get_scale_set + list_instances per set."""
            started = time.perf_counter()
            for key in keys:
                adapter.get_scale_set(*key)
                adapter.list_instances(*key)
            return time.perf_counter() - started

        def concurrent_first_sight() -> float:
            """A fresh adapter has not seen the sets' modes yet: one extra round trip."""
            fresh = open_adapter()
            fresh.refresh_scale_sets(keys[:1])  # connection pool and TLS warm, the other modes unknown
            started = time.perf_counter()
            results = fresh.refresh_scale_sets(keys[1:])
            elapsed = time.perf_counter() - started
            fresh.close()
            assert not any(isinstance(result, AzureError) for result in results)
            return elapsed

        protocol_times = [protocol_only() for _ in range(options.runs)]
        sequential_times = [sequential() for _ in range(options.runs)]
        concurrent_times = [concurrent() for _ in range(options.runs)]
        first_sight_times = [concurrent_first_sight() for _ in range(options.runs)]
        adapter.close()
        server.stop()
        emulator.close()

    def trips(samples: list[float]) -> str:
        return f"{statistics.median(samples) / latency:.1f} round trips"

    ms = lambda samples: [t * 1000 for t in samples]  # noqa: E731
    label = f"{options.sets} sets, {options.latency_ms:g} ms/request"
    return [
        Figure(f"refresh {label}: concurrent ({trips(concurrent_times)})", ms(concurrent_times),
               "one set at a time", ms(sequential_times), target="<= 2 round trips"),
        Figure(f"  same, modes not yet known ({trips(first_sight_times)})", ms(first_sight_times),
               "one set at a time", ms(sequential_times)),
        Figure(f"  plain protocol calls in turn ({trips(protocol_times)})", ms(protocol_times),
               "one set at a time", ms(sequential_times)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=10)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    print_table("Azure adapter: concurrent refresh through the ARM endpoint",
                run(sets=options.sets, latency_ms=options.latency_ms, runs=options.runs))


if __name__ == "__main__":
    main()
