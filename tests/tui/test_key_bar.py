"""The key bar (issue 11): the bottom line always names the keys of the pane that has focus, and ends in `? more  q Quit`.

Textual's Footer listed the screen's bindings in declaration order and cut the line where the width
ended: at 120 columns `v`, `/`, `?` and `q` fell off with the instances focused, a stray "^p palettel"
showed, and at 80 columns it stopped at "u Up". Each pane now hands the bar its own keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tui_helpers import enter_line, screen_lines, select_set, settle, wait_until

RG = "practice-rg"


def key_bar(app: Any) -> str:
    return screen_lines(app)[-1]


async def focus_pane(pilot: Any, pane_id: str) -> None:
    """Press Tab until the pane with this id has focus (as a user does), at most once round every pane."""
    app = pilot.app
    for _ in range(8):
        if app.focused is not None and app.focused.id == pane_id:
            return
        await pilot.press("tab")
        await settle(pilot)
    raise AssertionError(f"Tab never reached #{pane_id}; focus is on {app.focused!r}")


def assert_shows(bar: str, shown: tuple[str, ...], hidden: tuple[str, ...] = ()) -> None:
    for text in shown:
        assert text in bar, f"{text!r} missing from the key bar {bar!r}"
    for text in hidden:
        assert text not in bar, f"{text!r} should not be in the key bar {bar!r}"


SETS_ONLY = ("enter Instances",)
INSTANCES_ONLY = ("x Del", "p Stop")


async def test_with_the_instances_focused_the_bar_keeps_detail_filter_help_and_quit_at_120_and_80(
        make_app: Any) -> None:
    """The exact keys the old Footer lost: v and / at 120 columns, ? and q at both widths."""
    for size, shown in (((120, 40), ("x Del", "s Scale", "v Detail", "/ Filter", ": Cmd", "? more", "q Quit")),
                        ((80, 24), ("x Del", "p Stop", "s Scale", "/ Filter", "? more", "q Quit"))):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await select_set(pilot, "web")
            await focus_pane(pilot, "instances")
            bar = key_bar(app)
            assert_shows(bar, shown, SETS_ONLY + ("palette", "u Up"))
            assert bar.rstrip().endswith("q Quit"), f"{size}: {bar!r}"


async def test_each_pane_tab_reaches_shows_its_own_keys(make_app: Any) -> None:
    """Tab round every pane: sets, instances, fault-domain map, activity log; the bar follows the focus."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        expected = {
            "sets": (("s Scale", "enter Instances", "A Autoscale", "R Reservations", "q Quit"), INSTANCES_ONLY),
            "instances": (("x Del", "p Stop", "v Detail", "o Sort", "q Quit"), SETS_ONLY),
            "map-pane": (("w What if", "up/down Scroll", "tab Next pane", "q Quit"), SETS_ONLY + INSTANCES_ONLY),
            "log": (("enter Details", ": Cmd", "tab Next pane", "q Quit"),
                    SETS_ONLY + INSTANCES_ONLY + ("w What if",)),
        }
        for pane_id, (shown, hidden) in expected.items():
            await focus_pane(pilot, pane_id)
            assert_shows(key_bar(app), shown, hidden)


async def test_the_autoscale_pane_shows_its_own_keys_and_the_way_back(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "A")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "autoscale-pane", app.focused
        # web has no autoscale setting: `c` creates one; `A` goes back to the instances.
        assert_shows(key_bar(app), ("c Create", "A Instances", ": Cmd", "q Quit"), SETS_ONLY + INSTANCES_ONLY)
        await focus_pane(pilot, "log")
        assert_shows(key_bar(app), ("enter Details",), ("c Create", "A Instances"))
        await focus_pane(pilot, "autoscale-pane")
        assert_shows(key_bar(app), ("c Create", "A Instances"))
        await pilot.press("A")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "instances", app.focused
        assert_shows(key_bar(app), INSTANCES_ONLY, ("c Create", "A Instances"))


async def test_the_reservation_pane_shows_its_own_keys_and_the_way_back(make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "R")
        await settle(pilot)
        assert app.focused is not None and app.focused.id == "reservation-pane", app.focused
        assert_shows(key_bar(app), ("g Groups", "R Instances", ": Cmd", "? more", "q Quit"),
                     SETS_ONLY + INSTANCES_ONLY)
        await pilot.press("R")
        await settle(pilot)
        assert_shows(key_bar(app), INSTANCES_ONLY, ("g Groups", "R Instances"))


async def test_a_text_field_shows_its_own_keys_and_no_quit(make_app: Any) -> None:
    """In the `/` filter and the `:` bar, `q` and `?` are typed, so the bar does not offer them."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await select_set(pilot, "web")
        await pilot.press("tab", "slash")
        await pilot.pause()
        assert_shows(key_bar(app), ("enter Keep filter", "esc Clear"), ("q Quit", "? more"))
        await pilot.press("escape", "colon")
        await pilot.pause()
        assert_shows(key_bar(app), ("tab Complete", "enter Run", "esc Close"), ("q Quit", "? more"))


def scale_set_template(name: str, capacity: int) -> str:
    resource = {"type": "Microsoft.Compute/virtualMachineScaleSets", "apiVersion": "2024-07-01", "name": name,
                "location": "[resourceGroup().location]",
                "sku": {"name": "Standard_B2s", "tier": "Standard", "capacity": capacity},
                "properties": {"upgradePolicy": {"mode": "Manual"},
                               "virtualMachineProfile": {
                                   "storageProfile": {"imageReference": {"publisher": "Canonical",
                                                                         "offer": "ubuntu-24_04-lts",
                                                                         "sku": "server", "version": "latest"}},
                                   "osProfile": {"computerNamePrefix": name, "adminUsername": "azureuser"}}}}
    schema = "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
    return json.dumps({"$schema": schema, "contentVersion": "1.0.0.0", "resources": [resource]})


async def test_the_deploy_screen_names_what_each_phase_takes(make_app: Any, tmp_path: Path) -> None:
    """Review: deploy or cancel; afterwards: back. Never the main screen's keys, never `q Quit` (q goes back)."""
    from vmss_tui.tui.screens.deploy import DeployScreen

    template = tmp_path / "fresh.json"
    template.write_text(scale_set_template("fresh", 2), encoding="utf-8")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await enter_line(pilot, "colon", f"deploy {template} -g {RG}")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DeployScreen)
        await wait_until(pilot, lambda: screen.phase == "review")
        await pilot.pause()
        assert_shows(key_bar(app), ("enter/y Deploy", "n/esc Cancel"), ("q Quit", "x Del", "s Scale"))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.phase == "ended", timeout=10)
        await pilot.pause()
        assert_shows(key_bar(app), ("esc Back",), ("enter/y Deploy", "q Quit"))
