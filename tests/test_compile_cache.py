"""The functions dataclasses and named tuples write are compiled once and kept (`vmss_tui/compile_cache.py`):
a second start compiles none of them, the classes behave exactly as without the cache, and a
cache file this user does not alone control is never read."""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
from pathlib import Path

from vmss_tui.compile_cache import CompiledFunctions

PROBE = """
import json, sys
from pathlib import Path
from vmss_tui import compile_cache
functions = compile_cache.install(Path(sys.argv[1]))
from dataclasses import FrozenInstanceError, dataclass, field
from typing import NamedTuple

@dataclass(frozen=True)
class Point:
    x: int
    y: int = 2
    tags: tuple[str, ...] = field(default_factory=tuple)

class Pair(NamedTuple):
    left: str
    right: str = "r"

p = Point(1)
try:
    p.x = 5
    frozen = False
except FrozenInstanceError:
    frozen = True
from vmss_tui.cli import main  # the program's own classes (and the domain's) too
print(json.dumps({"repr": repr(p), "eq": p == Point(1, 2, ()), "hash": hash(p) == hash(Point(1)), "frozen": frozen,
                  "pair": repr(Pair("l")), "new": functions.new, "taken": len(functions.used), "saved": functions.save()}))
"""


def _run(cache: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, str(cache)], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_second_start_compiles_no_generated_function_and_the_classes_behave_the_same(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "compiled.marshal"
    first = _run(cache)
    assert first["new"] > 100 and first["saved"] is True  # type: ignore[operator]
    assert (cache.stat().st_mode & 0o777) == 0o600
    second = _run(cache)
    assert second["new"] == 0 and second["saved"] is False
    assert second["taken"] == first["taken"]
    behaviour = ("repr", "eq", "hash", "frozen", "pair")
    assert {key: second[key] for key in behaviour} == {key: first[key] for key in behaviour} == {
        "repr": "Point(x=1, y=2, tags=())", "eq": True, "hash": True, "frozen": True, "pair": "Pair(left='l', right='r')"}


def _kept(tmp_path: Path) -> CompiledFunctions:
    functions = CompiledFunctions(tmp_path / "cache" / "compiled.marshal")
    functions.compiled("x = 1", "exec")
    assert functions.save()
    return functions


def test_kept_code_is_read_back(tmp_path: Path) -> None:
    path = _kept(tmp_path).path
    assert "exec:x = 1" in CompiledFunctions(path).kept


def test_a_cache_file_others_may_write_is_not_read(tmp_path: Path) -> None:
    path = _kept(tmp_path).path
    os.chmod(path, 0o660)
    assert CompiledFunctions(path).kept == {}
    os.chmod(path, 0o600)
    os.chmod(path.parent, 0o777)
    assert CompiledFunctions(path).kept == {}


def test_code_of_another_python_or_a_damaged_file_is_not_used(tmp_path: Path) -> None:
    path = _kept(tmp_path).path
    path.write_bytes(marshal.dumps({"version": b"\x00\x00\r\n\x00", "code": {"exec:x = 1": b""}}))
    assert CompiledFunctions(path).kept == {}
    path.write_bytes(b"\x00garbage")
    functions = CompiledFunctions(path)
    assert functions.kept == {}
    namespace: dict[str, int] = {}
    exec(functions.compiled("x = 1", "exec"), namespace)  # compiled afresh
    assert namespace["x"] == 1 and functions.new == 1
