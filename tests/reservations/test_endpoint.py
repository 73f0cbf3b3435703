"""The endpoint's capacityReservationGroups and capacityReservations routes, request by request; every body is
checked against azure-mgmt-compute's generated models (tests/arm/schema_oracle.py) and read back through them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.arm.schema_oracle import round_trips, schema_problems, sdk

from vmss_tui.armserver import ArmApp, Response, ServerSettings
from vmss_tui.backends import open_backend

BASE = "https://127.0.0.1:9999"
RG = "crg-rg"
API = "2024-11-01"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[ArmApp]:
    backend = open_backend("emulator", db=tmp_path / "db", speed="instant", durable=False)
    backend.create_or_update_resource_group(RG, "eastus")
    yield ArmApp(backend, ServerSettings())
    backend.close()


def call(app: ArmApp, method: str, path: str, body: Any = None, api: str = API, query: str = "") -> Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return app.handle(method, f"{path}?api-version={api}{query}", {"Authorization": "Bearer token"}, raw, BASE)


def group_path(app: ArmApp, name: str = "crg") -> str:
    sub = app.backend.info().subscription_id
    return f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Compute/capacityReservationGroups/{name}"


def test_group_and_reservation_round_trip_through_the_sdk_models(app: ArmApp) -> None:
    request = {"location": "eastus", "zones": ["1", "2"], "tags": {"env": "lab"}}
    assert schema_problems(sdk.CapacityReservationGroup, request, request=True) == []
    created = call(app, "PUT", group_path(app), request)
    assert created.status == 201, created.body
    assert schema_problems(sdk.CapacityReservationGroup, created.body) == []
    reservation = {"location": "eastus", "sku": {"name": "Standard_D2s_v3", "capacity": 2}, "zones": ["1"]}
    assert schema_problems(sdk.CapacityReservation, reservation, request=True) == []
    put = call(app, "PUT", group_path(app) + "/capacityReservations/res1", reservation)
    assert put.status == 201, put.body
    shown = call(app, "GET", group_path(app) + "/capacityReservations/res1", query="&$expand=instanceView")
    assert schema_problems(sdk.CapacityReservation, shown.body) == []
    model = sdk.CapacityReservation(round_trips(sdk.CapacityReservation, shown.body))
    assert model.sku.capacity == 2 and model.properties.provisioning_state == "Succeeded"
    assert model.properties.instance_view.utilization_info.virtual_machines_allocated == []
    group = call(app, "GET", group_path(app), query="&$expand=instanceView")
    assert schema_problems(sdk.CapacityReservationGroup, group.body) == []
    group_model = sdk.CapacityReservationGroup(group.body)
    assert [r.id.rsplit("/", 1)[1] for r in group_model.properties.capacity_reservations] == ["res1"]
    assert group_model.properties.instance_view.capacity_reservations[0].name == "res1"
    listed = call(app, "GET", f"/subscriptions/{app.backend.info().subscription_id}/resourceGroups/{RG}/providers/"
                              "Microsoft.Compute/capacityReservationGroups")
    assert [g["name"] for g in listed.body["value"]] == ["crg"]


def test_patch_changes_capacity_only_and_deletes_go_in_order(app: ArmApp) -> None:
    call(app, "PUT", group_path(app), {"location": "eastus"})
    call(app, "PUT", group_path(app) + "/capacityReservations/res1",
         {"location": "eastus", "sku": {"name": "Standard_D2s_v3", "capacity": 2}})
    patched = call(app, "PATCH", group_path(app) + "/capacityReservations/res1", {"sku": {"capacity": 0}})
    assert patched.status == 200 and patched.body["sku"]["capacity"] == 0
    resize = call(app, "PATCH", group_path(app) + "/capacityReservations/res1", {"sku": {"name": "Standard_D4s_v3"}})
    assert resize.status == 409 and resize.body["error"]["code"] == "PropertyChangeNotAllowed"
    nested = call(app, "DELETE", group_path(app))
    assert nested.status == 409 and nested.body["error"]["code"] == "CannotDeleteResource"
    assert call(app, "DELETE", group_path(app) + "/capacityReservations/res1").status == 200
    assert call(app, "DELETE", group_path(app)).status == 200
    assert call(app, "DELETE", group_path(app)).status == 204


def test_a_scale_set_put_with_the_group_in_its_profile_is_associated(app: ArmApp) -> None:
    call(app, "PUT", group_path(app), {"location": "eastus", "zones": ["1"]})
    call(app, "PUT", group_path(app) + "/capacityReservations/res1",
         {"location": "eastus", "sku": {"name": "Standard_D2s_v3", "capacity": 1}, "zones": ["1"]})
    group_id = group_path(app)
    sub = app.backend.info().subscription_id
    vmss = f"/subscriptions/{sub}/resourceGroups/{RG}/providers/Microsoft.Compute/virtualMachineScaleSets/web"
    body = {"location": "eastus", "zones": ["1"], "sku": {"name": "Standard_D2s_v3", "capacity": 2},
            "properties": {"orchestrationMode": "Uniform", "singlePlacementGroup": False,
                           "upgradePolicy": {"mode": "Automatic"},
                           "virtualMachineProfile": {"capacityReservation": {"capacityReservationGroup": {"id": group_id}},
                                                     "storageProfile": {"imageReference": {
                                                         "publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                                         "sku": "22_04-lts-gen2", "version": "latest"}}}}}
    created = call(app, "PUT", vmss, body)
    assert created.status in (200, 201), created.body
    got = call(app, "GET", vmss)
    assert got.body["properties"]["virtualMachineProfile"]["capacityReservation"] == {
        "capacityReservationGroup": {"id": group_id}}
    res = call(app, "GET", group_path(app) + "/capacityReservations/res1", query="&$expand=instanceView")
    assert len(res.body["properties"]["instanceView"]["utilizationInfo"]["virtualMachinesAllocated"]) == 2
    ppg = dict(body, properties=dict(body["properties"], proximityPlacementGroup={"id": "/x"}))
    refused = call(app, "PUT", vmss.replace("/web", "/web2"), ppg)
    assert refused.status == 400 and refused.body["error"]["code"] == "NotSupported"


def test_api_versions_before_capacity_reservations_existed_are_refused(app: ArmApp) -> None:
    old = call(app, "GET", group_path(app), api="2020-12-01")
    assert old.status == 400 and old.body["error"]["code"] == "NoRegisteredProviderFound"


def test_resource_skus_say_which_sizes_capacity_reservation_supports(app: ArmApp) -> None:
    sub = app.backend.info().subscription_id
    listed = call(app, "GET", f"/subscriptions/{sub}/providers/Microsoft.Compute/skus", api="2019-04-01",
                  query="&$filter=location eq 'eastus'")
    assert listed.status == 200, listed.body
    skus = listed.body["value"]
    assert skus and all(s["locations"] == ["eastus"] for s in skus)
    assert all(schema_problems(sdk.ResourceSku, s) == [] for s in skus)
    support = {s["name"]: next(c["value"] for c in s["capabilities"] if c["name"] == "CapacityReservationSupported")
               for s in skus}
    assert support["Standard_D2s_v3"] == "True" and support["Standard_M8ms"] == "False"
    assert skus[0]["locationInfo"][0]["zones"] == ["1", "2", "3"]
    bad = call(app, "GET", f"/subscriptions/{sub}/providers/Microsoft.Compute/skus", api="2019-04-01",
               query="&$filter=name eq 'x'")
    assert bad.status == 400
