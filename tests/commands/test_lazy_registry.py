"""The registry imports another noun's command module only when one of its commands is looked up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from vmss_tui.commands import registry

NOUN_MODULE_NAMES = ("autoscale", "clock", "deployments", "ssh")
"""Modules a one-shot scale-set command has no use for (network, reservations and resource_groups
also declare parameters of `create`, so the registry imports them anyway)."""


def _modules_after(code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter; it prints a JSON object as its last line."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_every_noun_module_declares_only_commands_under_its_words() -> None:
    own_words = {key.split(" ", 1)[0] for spec in registry.SCALE_SET_COMMANDS for key in (spec.name, *spec.aliases)}
    for words, loader in registry.NOUN_MODULES:
        assert not own_words & set(words), f"{loader.__name__}: a noun word shadows a scale-set command"
        found = {key.split(" ", 1)[0] for spec in loader() for key in (spec.name, *spec.aliases)}
        assert found == set(words), f"{loader.__name__} declares {sorted(found)}; NOUN_MODULES says {sorted(words)}"


def test_the_lazy_index_holds_every_command_in_registry_order() -> None:
    expected = registry.SCALE_SET_COMMANDS + tuple(spec for _words, loader in registry.NOUN_MODULES
                                                   for spec in loader())
    fresh = registry.CommandIndex(registry.SCALE_SET_COMMANDS, registry.NOUN_MODULES)
    assert fresh["autoscale rule create"].name == "autoscale rule create"  # one noun loaded first
    assert fresh.all_commands() == expected
    assert list(fresh) == [key for spec in expected for key in (spec.name, *spec.aliases)]
    assert registry.COMMANDS == expected


def test_a_one_shot_list_imports_no_other_nouns_module_nor_the_console(tmp_path: Path) -> None:
    code = f"""
import io, json, sys
from vmss_tui.cli import main
out, sys.stdout = sys.stdout, io.StringIO()
code = main(["list", "-o", "json", "--db", {str(tmp_path / "db")!r}, "--speed", "instant"])
listed = json.loads(sys.stdout.getvalue())
sys.stdout = out
print(json.dumps({{"code": code, "sets": len(listed), "modules": sorted(sys.modules)}}))
"""
    found = _modules_after(code)
    assert found["code"] == 0 and found["sets"] == 0  # a new store: no sets, the list ran
    loaded = {name.rsplit(".", 1)[-1] for name in found["modules"] if name.startswith("vmss_tui.commands.")}  # type: ignore[union-attr]
    unused = {*NOUN_MODULE_NAMES, "console"}  # the console: only `ssh` takes over the process's terminal
    assert not loaded & unused, sorted(loaded & unused)


def test_looking_up_one_noun_loads_that_module_only_and_a_bare_noun_lists_its_verbs() -> None:
    code = """
import json, sys
from vmss_tui.commands import Session, get_command, run_line
spec = get_command("clock show")
outcome = run_line("autoscale", Session(None))
print(json.dumps({"spec": spec.name, "error": outcome.error, "code": outcome.exit_code,
                  "modules": sorted(sys.modules)}))
"""
    found = _modules_after(code)
    assert found["spec"] == "clock show"
    assert found["code"] == 2 and "'autoscale' needs one of: create, delete" in str(found["error"])
    loaded = {name.rsplit(".", 1)[-1] for name in found["modules"] if name.startswith("vmss_tui.commands.")}  # type: ignore[union-attr]
    assert loaded & set(NOUN_MODULE_NAMES) == {"clock", "autoscale"}
