"""The endpoint's wire rows: converted only when a page reads them, and reused for every view that is unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vmss_tui.armserver import ArmApp, ServerSettings
from vmss_tui.armserver.views import RowCache
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec


@dataclass(frozen=True)
class Item:
    name: str


def counting_converter(converted: list[str]) -> Any:
    def convert(item: Item) -> dict[str, Any]:
        converted.append(item.name)
        return {"name": item.name}
    return convert


def test_a_list_with_one_changed_item_converts_only_that_item_again() -> None:
    cache, converted = RowCache(), []
    items = [Item(str(i)) for i in range(5)]
    first = cache.rows("set", items, counting_converter(converted))
    assert [row["name"] for row in first[0:5]] == ["0", "1", "2", "3", "4"] and len(converted) == 5
    changed = list(items)
    changed[2] = Item("two")  # the backend rebuilt this one view: it changed
    second = cache.rows("set", changed, counting_converter(converted))
    assert [row["name"] for row in second[0:5]] == ["0", "1", "two", "3", "4"]
    assert converted == ["0", "1", "2", "3", "4", "two"]
    equal_again = [Item(str(i)) if i != 2 else Item("two") for i in range(5)]  # rebuilt, all equal: same rows
    assert cache.rows("set", equal_again, counting_converter(converted)) is second


def test_what_a_key_records_is_reused_only_for_a_list_sharing_a_view_object() -> None:
    cache, converted = RowCache(), []
    items = [Item("a"), Item("b")]
    cache.rows(("set", "westeurope"), items, counting_converter(converted), family="set")
    assert cache.known_key("set", [Item("x"), items[1]]) == ("set", "westeurope")
    assert cache.known_key("set", [Item("a"), Item("b")]) is None  # a recreated set: new views, ask again
    assert cache.known_key("other", items) is None


def test_rows_are_not_shared_between_lists_of_different_keys() -> None:
    cache, converted = RowCache(), []
    items = [Item("a")]
    cache.rows(("set", False), items, counting_converter(converted))[0]
    cache.rows(("set", True), items, counting_converter(converted))[0]
    assert converted == ["a", "a"]


def test_a_full_walk_after_a_change_to_one_instance_converts_that_instance_once(tmp_path: Path) -> None:
    backend = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    try:
        if hasattr(backend, "create_or_update_resource_group"):
            backend.create_or_update_resource_group("rows-rg", "westeurope")
        backend.wait(backend.create_scale_set(ScaleSetSpec(name="web", resource_group="rows-rg",
                                                           orchestration_mode=OrchestrationMode.UNIFORM,
                                                           capacity=30, single_placement_group=False)))
        app = ArmApp(backend, ServerSettings(page_size=10))
        url = (f"/subscriptions/{app.subscription_id}/resourceGroups/rows-rg/providers/Microsoft.Compute/"
               "virtualMachineScaleSets/web/virtualMachines?api-version=2024-07-01")

        def walk() -> list[str]:
            ids, target = [], url
            while target:
                body = app.handle("GET", target, {"Authorization": "Bearer t"}, b"", "https://h").body
                ids += [vm["instanceId"] for vm in body["value"]]
                link = body.get("nextLink")
                target = f"{urlsplit(link).path}?{urlsplit(link).query}" if link else ""
            return ids

        assert len(walk()) == 30
        from vmss_tui.arm import compute as arm_compute
        calls: list[str] = []
        original = arm_compute.scale_set_vm_to_json

        def counted(instance: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
            calls.append(instance.instance_id)
            return original(instance, *args, **kwargs)

        arm_compute.scale_set_vm_to_json = counted
        try:
            backend.set_protection("rows-rg", "web", ["9"], protect_from_scale_in=True)
            ids = walk()
        finally:
            arm_compute.scale_set_vm_to_json = original
        assert len(ids) == 30 and calls == ["9"]
    finally:
        backend.close()


def test_a_page_of_encoded_rows_is_the_same_json_as_plain_dicts_and_other_subclasses_keep_their_value() -> None:
    import enum

    import orjson

    from vmss_tui.armserver.routing import Response

    class Mode(enum.StrEnum):
        UNIFORM = "Uniform"

    cache, converted = RowCache(), []
    rows = cache.rows("set", [Item("a"), Item("b")], counting_converter(converted))
    body = {"value": rows[0:2], "mode": Mode.UNIFORM, "nextLink": "https://h/x"}
    expected = orjson.dumps({"value": [{"name": "a"}, {"name": "b"}], "mode": "Uniform", "nextLink": "https://h/x"})
    assert Response(200, body).body_bytes() == expected
    assert Response(200, {"value": rows[0:2]}).body_bytes() == b'{"value":[{"name":"a"},{"name":"b"}]}'
    assert converted == ["a", "b"]
