"""Emulator and storage costs against stock TinyDB used naively, in the same process.

Run: python -m bench.emulator [--quick]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from tinydb import TinyDB
from tinydb.storages import JSONStorage

from bench.common import Figure, measure, print_table
from vmss_tui.backends import open_backend
from vmss_tui.backends.emulator.store import Store
from vmss_tui.domain.models import OrchestrationMode, PowerAction, ScaleSetSpec


def _instance_doc(index: int) -> dict:
    """An instance record of the size the emulator stores (~400 B)."""
    return {"instance_id": str(index), "name": f"web_{index}", "computer_name": f"web{index:06d}", "zone": "1",
            "fd": index % 5, "ud": index % 5, "vm_size": "Standard_D2s_v3", "image": "Ubuntu2204",
            "priority": "Regular", "model": 1, "protect_scale_in": False, "protect_actions": False,
            "created": 1.7e9 + index, "vm_id": "6f0c1c5e-8a8c-4b8e-9a55-000000000000", "by_set": True,
            "seq": index, "power": "running", "prov": "Succeeded", "tr": None}


def run(quick: bool = False) -> list[Figure]:
    runs = 3 if quick else 7
    naive_runs = 1 if quick else 3
    work = Path(tempfile.mkdtemp(prefix="vmss-bench-"))
    figures: list[Figure] = []
    try:
        # scale 0 -> 1000 persisted through the emulator
        counter = iter(range(1000))
        state: dict = {}

        def fresh_set() -> None:
            root = work / f"scale{next(counter)}"
            state["backend"] = open_backend("emulator", db=root, speed="instant")
            state["backend"].create_or_update_resource_group("rg", "westeurope")
            state["backend"].create_scale_set(ScaleSetSpec(
                name="web", resource_group="rg", orchestration_mode=OrchestrationMode.UNIFORM, capacity=0,
                single_placement_group=False))

        scale = measure(lambda: state["backend"].set_capacity("rg", "web", 1000), runs, setup=fresh_set)

        def naive_setup() -> None:
            path = work / f"naive{next(counter)}.json"
            state["naive"] = TinyDB(path, storage=JSONStorage)

        def naive_inserts() -> None:
            table = state["naive"].table("instances")
            for index in range(1000):
                table.insert(_instance_doc(index))

        naive = measure(naive_inserts, naive_runs, setup=naive_setup)
        figures.append(Figure("scale 0 -> 1000, persisted", scale, "TinyDB 1000 x insert()", naive,
                              target="<= 50 ms"))

        # one instance operation on a 1000-instance set
        backend = state["backend"]
        ids = iter(str(i) for i in range(1000))
        one_op = measure(lambda: backend.power_action("rg", "web", PowerAction.POWER_OFF, [next(ids)]), runs * 3)
        naive_db = TinyDB(work / "naive-update.json", storage=JSONStorage)
        naive_db.table("instances").insert_multiple(_instance_doc(i) for i in range(1000))
        doc_ids = iter(range(1, 1001))
        naive_update = measure(lambda: naive_db.table("instances").update({"power": "stopped"},
                                                                          doc_ids=[next(doc_ids)]), runs * 3)
        figures.append(Figure("one instance op on a 1000-instance set", one_op, "TinyDB update(doc_ids)",
                              naive_update, target="<= 20 ms"))

        figures += storage_figures(work, runs * 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def storage_figures(work: Path, runs: int) -> list[Figure]:
    """A crash-safe commit of one 1000-instance shard and of three at once (journaled, all or nothing),
    each against stock TinyDB's in-place write of the same data, alternating in one run; and the
    single-shard commit with the journal forced on, to show what skipping it saves."""
    data = {"instances": {str(i + 1): _instance_doc(i) for i in range(1000)}}
    store = Store(work / "store")
    journaled_store = Store(work / "journaled")
    journaled_store.journal_every_commit = True
    keys = ["sets/rg/web", "sets/rg/api", "sets/rg/db"]

    def safe_write(shard_keys: list[str], target: Store = store) -> None:
        with target.transaction() as txn:
            for key in shard_keys:
                table = txn.db(key).table("instances")
                table.truncate()
                table.insert_multiple(data["instances"].values())

    in_place = [JSONStorage(str(work / f"inplace{n}.json")) for n in range(3)]

    def tinydb_write(count: int) -> None:
        for storage in in_place[:count]:
            storage.write(json.loads(json.dumps(data)))

    one, one_base, three, three_base, one_journaled = [], [], [], [], []
    for _ in range(runs):  # alternate, so a noisy moment on the machine hits every side alike
        one += measure(lambda: safe_write(keys[:1]), 1)
        one_base += measure(lambda: tinydb_write(1), 1)
        three += measure(lambda: safe_write(keys), 1)
        three_base += measure(lambda: tinydb_write(3), 1)
        one_journaled += measure(lambda: safe_write(keys[:1], journaled_store), 1)
    return [Figure("crash-safe write, 1000 instances", one, "TinyDB in-place write", one_base),
            Figure("atomic 3-shard commit, 3 x 1000 instances", three, "TinyDB 3 in-place writes", three_base),
            Figure("1000 instances with the journal forced on", one_journaled, "the same without", one)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--storage", action="store_true", help="only the storage commit figures")
    args = parser.parse_args()
    if args.storage:
        work = Path(tempfile.mkdtemp(prefix="vmss-bench-"))
        try:
            print_table("Storage commits", storage_figures(work, 9 if args.quick else 31))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return
    print_table("Emulator and storage", run(quick=args.quick))


if __name__ == "__main__":
    main()
