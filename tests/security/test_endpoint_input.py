"""Issue 10, class 6: the ARM endpoint takes only what Azure would take.

Driven over real HTTPS against the endpoint in this process (loopback): the five inputs that
gave HTTP 500, coercion of capacities, api-versions, body size, idle connections, and a
property-based run over paths, headers and bodies that must never see a 5xx or a dropped
connection.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vmss_tui.armserver import serve_in_thread
from vmss_tui.armserver.validation import COMPUTE_API_VERSIONS, MAX_JSON_DEPTH, RESOURCES_API_VERSIONS
from vmss_tui.backends import open_backend
from vmss_tui.domain.models import OrchestrationMode, ScaleSetSpec

RG = "input-rg"
API = "2026-04-01"


class Endpoint:
    """The running endpoint and a way to talk HTTPS to it."""

    def __init__(self, handle: Any, emulator: Any) -> None:
        self.handle = handle
        self.emulator = emulator
        host, port = handle.base_url.removeprefix("https://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        self.context = ssl.create_default_context(cafile=str(handle.ca_path))

    @property
    def sets(self) -> str:
        return f"/subscriptions/{self.handle.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Compute/" \
               "virtualMachineScaleSets"

    def request(self, method: str, path: str, body: Any = None, *, api: str | None = API,
                headers: dict[str, str] | None = None, raw: bytes | None = None) -> tuple[int, Any]:
        target = path if api is None else f"{path}{'&' if '?' in path else '?'}api-version={api}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        sent = {"Authorization": "Bearer token", "Content-Type": "application/json"}
        sent.update(headers or {})
        connection = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=10)
        try:
            connection.request(method, target, body=payload, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        return response.status, (json.loads(data) if data else None)

    def raw(self, head: bytes, body: bytes = b"") -> bytes:
        """Send the head, then (if the server still reads) the body; everything answered until it closes."""
        with socket.create_connection((self.host, self.port), timeout=10) as plain:
            with self.context.wrap_socket(plain, server_hostname=self.host) as tls:
                tls.sendall(head)
                try:
                    tls.sendall(body)
                except (OSError, ssl.SSLError):
                    pass  # the server answered and closed without reading the body
                received = b""
                while True:
                    try:
                        chunk = tls.recv(65536)
                    except (ConnectionResetError, ssl.SSLError):
                        break
                    if not chunk:
                        break
                    received += chunk
                return received


@pytest.fixture
def endpoint(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    emulator = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    emulator.create_or_update_resource_group(RG, "westeurope")
    emulator.wait(emulator.create_scale_set(ScaleSetSpec(name="web", resource_group=RG, capacity=2,
                                                         orchestration_mode=OrchestrationMode.UNIFORM)))
    handle = serve_in_thread(emulator, state_dir=tmp_path_factory.getbasetemp() / "arm-input-state")
    try:
        yield Endpoint(handle, emulator)
    finally:
        handle.stop()
        emulator.close()


def capacity(endpoint: Endpoint) -> int:
    return endpoint.emulator.get_scale_set(RG, "web").capacity


# ---------------------------------------------------------------- the five crashes


def test_a_capacity_that_is_not_a_number_is_a_400_naming_the_field(endpoint: Endpoint) -> None:
    status, body = endpoint.request("PATCH", f"{endpoint.sets}/web", {"sku": {"capacity": "abc"}})
    assert status == 400, body
    assert body["error"]["code"] == "InvalidRequestFormat" and body["error"]["target"] == "sku.capacity"
    assert capacity(endpoint) == 2


def test_json_nested_100000_deep_is_invalid_request_content(endpoint: Endpoint) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    status, body = endpoint.request("PUT", f"{endpoint.sets}/deep", raw=deep)
    assert status == 400 and body["error"]["code"] == "InvalidRequestContent"
    assert f"MaxDepth of {MAX_JSON_DEPTH}" in body["error"]["message"]


def test_json_at_the_depth_limit_is_still_read(endpoint: Endpoint) -> None:
    nested: Any = {"a": 1}
    for _ in range(MAX_JSON_DEPTH - 3):
        nested = {"x": nested}
    status, body = endpoint.request("PATCH", f"{endpoint.sets}/web", {"sku": {"capacity": 3}, "extra": nested})
    assert status == 200, body
    assert capacity(endpoint) == 3


@pytest.mark.parametrize("name", ["web%00x", "%00", "a" * 5000, "web%0A", "..", "web%E2%80%AE"])
def test_names_azure_refuses_are_400_with_azures_code(endpoint: Endpoint, name: str) -> None:
    for method, body in (("GET", None), ("PUT", {"location": "westeurope", "sku": {"capacity": 1}})):
        status, answer = endpoint.request(method, f"{endpoint.sets}/{name}", body)
        assert status == 400, (method, name, answer)
        assert answer["error"]["code"] == "InvalidResourceName"
    status, answer = endpoint.request("GET", f"/subscriptions/{endpoint.handle.subscription_id}/resourceGroups/"
                                             f"rg%00{'x' * 5000}/providers/Microsoft.Compute/virtualMachineScaleSets")
    assert status == 400 and answer["error"]["code"] == "InvalidResourceGroupName"


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1e3", b" 12x", "\u0661\u0662".encode()])
def test_a_bad_content_length_is_answered_400_not_dropped(endpoint: Endpoint, length: bytes) -> None:
    head = (f"PATCH {endpoint.sets}/web?api-version={API} HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer t\r\n").encode() + b"Content-Length: " + length + b"\r\n\r\n"
    answer = endpoint.raw(head, b'{"sku":{"capacity":5}}')
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b"InvalidRequestContent" in answer
    assert capacity(endpoint) == 2


# ---------------------------------------------------------------- no coercion


@pytest.mark.parametrize(("value", "code"), [(-0.5, "InvalidRequestFormat"), (2.5, "InvalidRequestFormat"),
                                             (True, "InvalidRequestFormat"), ("3", "InvalidRequestFormat"),
                                             ([3], "InvalidRequestFormat"), (-1, "InvalidParameter"),
                                             (2**63, "InvalidRequestFormat")])
def test_capacities_are_never_coerced(endpoint: Endpoint, value: Any, code: str) -> None:
    status, body = endpoint.request("PATCH", f"{endpoint.sets}/web", {"sku": {"capacity": value}})
    assert status == 400 and body["error"]["code"] == code, body
    assert body["error"]["target"] == "sku.capacity"
    assert capacity(endpoint) == 2


@pytest.mark.parametrize("body", [
    {"properties": {"singlePlacementGroup": "false"}},
    {"properties": {"platformFaultDomainCount": "2"}},
    {"properties": {"upgradePolicy": {"mode": 1}}},
    {"properties": {"scaleInPolicy": {"rules": "OldestVM"}}},
    {"zones": "1"},
    {"sku": "Standard_D2s_v3"},
    {"properties": {"virtualMachineProfile": {"storageProfile": {"imageReference": {"publisher": 7}}}}},
    {"tags": {"env": 1}},
    [],
    "text",
])
def test_wrong_json_types_anywhere_the_endpoint_reads_are_400(endpoint: Endpoint, body: Any) -> None:
    status, answer = endpoint.request("PATCH", f"{endpoint.sets}/web", body)
    assert status == 400, answer
    assert answer["error"]["code"] in ("InvalidRequestFormat", "InvalidRequestContent")


def test_instance_ids_must_be_strings(endpoint: Endpoint) -> None:
    status, answer = endpoint.request("POST", f"{endpoint.sets}/web/poweroff", {"instanceIds": [0, 1]})
    assert status == 400 and answer["error"]["target"] == "instanceIds[0]"


# ---------------------------------------------------------------- api-version


def test_a_missing_api_version_is_missing_api_version_parameter(endpoint: Endpoint) -> None:
    status, body = endpoint.request("GET", endpoint.sets, api=None)
    assert status == 400 and body["error"]["code"] == "MissingApiVersionParameter"


def test_an_unknown_compute_version_is_no_registered_provider_found_listing_the_known_ones(endpoint: Endpoint) -> None:
    status, body = endpoint.request("GET", endpoint.sets, api="2099-01-01")
    assert status == 400 and body["error"]["code"] == "NoRegisteredProviderFound"
    message = body["error"]["message"]
    assert "'2099-01-01' for type 'virtualMachineScaleSets'" in message and "2026-04-01, 2025-04-01" in message


def test_a_malformed_version_is_invalid_api_version_parameter(endpoint: Endpoint) -> None:
    status, body = endpoint.request("GET", endpoint.sets, api="latest")
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"


def test_resource_groups_check_against_arms_own_versions(endpoint: Endpoint) -> None:
    groups = f"/subscriptions/{endpoint.handle.subscription_id}/resourceGroups"
    assert endpoint.request("GET", groups, api="2021-04-01")[0] == 200
    status, body = endpoint.request("GET", groups, api="2026-04-01")
    assert status == 400 and body["error"]["code"] == "InvalidApiVersionParameter"
    assert "The supported versions are '" in body["error"]["message"]
    assert ",2024-07-01,2024-06-01-preview," in body["error"]["message"] and ",2021-04-01," in body["error"]["message"]


def test_a_namespace_the_endpoint_does_not_serve_is_no_registered_provider_found(endpoint: Endpoint) -> None:
    path = f"/subscriptions/{endpoint.handle.subscription_id}/resourceGroups/{RG}/providers/Microsoft.Storage/" \
           "storageAccounts"
    status, body = endpoint.request("GET", path, api="2023-05-01")
    assert status == 400 and body["error"]["code"] == "NoRegisteredProviderFound"


def test_every_known_version_and_what_the_sdk_and_the_adapter_send_are_accepted(endpoint: Endpoint) -> None:
    import inspect
    import re

    from azure.mgmt.compute.operations import _operations as sdk_operations

    from vmss_tui.backends.azure import backend as adapter

    sent_by_sdk = {re.search(r'"api-version", "([^"]+)"', inspect.getsource(builder)).group(1)
                   for builder in (sdk_operations.build_virtual_machine_scale_sets_get_request,
                                   sdk_operations.build_virtual_machines_get_request,
                                   sdk_operations.build_virtual_machine_scale_set_vms_list_request)}
    assert sent_by_sdk <= set(COMPUTE_API_VERSIONS), sent_by_sdk
    assert adapter.COMPUTE_API_VERSION in COMPUTE_API_VERSIONS
    assert {adapter.RESOURCE_GROUP_API_VERSION, adapter.SUBSCRIPTION_API_VERSION} <= set(RESOURCES_API_VERSIONS)
    app = endpoint.handle.app
    for version in COMPUTE_API_VERSIONS:
        response = app.handle("GET", f"{endpoint.sets}?api-version={version}", {"Authorization": "Bearer t"}, b"",
                              endpoint.handle.base_url)
        assert response.status == 200, (version, response.body)


# ---------------------------------------------------------------- size, time and connections


def test_a_50_mb_body_is_refused_413_without_being_read(endpoint: Endpoint) -> None:
    head = (f"PUT {endpoint.sets}/big?api-version={API} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
            f"Content-Type: application/json\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n").encode()
    started = time.monotonic()
    answer = endpoint.raw(head)  # the body never comes: the answer must not wait for it
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"RequestContentTooLarge" in answer
    assert time.monotonic() - started < 2.0


def test_a_body_just_over_4_mb_is_refused_and_just_under_is_read(endpoint: Endpoint) -> None:
    padding = "x" * (4 * 1024 * 1024 - 200)
    status, body = endpoint.request("PATCH", f"{endpoint.sets}/web", {"sku": {"capacity": 3}, "pad": padding})
    assert status == 200, body
    status, body = endpoint.request("PATCH", f"{endpoint.sets}/web",
                                    {"sku": {"capacity": 4}, "pad": padding + "y" * 400})
    assert status == 413 and body["error"]["code"] == "RequestContentTooLarge"
    assert capacity(endpoint) == 3


def test_idle_connections_cannot_starve_the_endpoint_and_are_closed_after_the_timeout(endpoint: Endpoint) -> None:
    endpoint.handle.settings.max_connections = 8
    endpoint.handle.settings.idle_timeout = 1.0
    idle = [socket.create_connection((endpoint.host, endpoint.port), timeout=5) for _ in range(40)]
    try:
        time.sleep(0.2)
        started = time.monotonic()
        status, _ = endpoint.request("GET", endpoint.sets)
        assert status == 200 and time.monotonic() - started < 2.0
        assert endpoint.handle._server.open_connections <= 8
        time.sleep(1.5)
        closed = 0
        for sock in idle:
            try:
                sock.settimeout(0.5)
                closed += sock.recv(1) == b""
            except ConnectionResetError:
                closed += 1
            except TimeoutError:
                pass
        assert closed == len(idle)
        assert endpoint.handle._server.open_connections == 0
    finally:
        for sock in idle:
            sock.close()


# ---------------------------------------------------------------- property-based: no 5xx, ever

_NAME = st.one_of(st.sampled_from(["web", "batch", "", "web_0", "0", "a" * 65, "x" * 300]),
                  st.text(min_size=0, max_size=40))
_JSON = st.recursive(st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
                     | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                 max_size=4),
                     max_leaves=12)
_FIELDS = st.fixed_dictionaries({}, optional={
    "location": _JSON, "zones": _JSON, "tags": _JSON,
    "sku": st.fixed_dictionaries({}, optional={"name": _JSON, "capacity": st.integers(-3, 6) | _JSON}),
    "properties": st.fixed_dictionaries({}, optional={
        "orchestrationMode": st.sampled_from(["Uniform", "Flexible", "x"]) | _JSON,
        "platformFaultDomainCount": _JSON, "singlePlacementGroup": _JSON,
        "upgradePolicy": _JSON, "scaleInPolicy": _JSON, "protectionPolicy": _JSON,
        "virtualMachineProfile": _JSON, "virtualMachineScaleSet": _JSON, "hardwareProfile": _JSON}),
    "instanceIds": _JSON,
})
_BODY = st.one_of(st.none(), _FIELDS.map(lambda b: json.dumps(b).encode()), _JSON.map(lambda b: json.dumps(b).encode()),
                  st.binary(max_size=64))
_TAIL = st.sampled_from(["", "/virtualMachines", "/virtualMachines/0", "/poweroff", "/start", "/delete",
                         "/instanceView", "/virtualMachines/0/restart", "/manualUpgrade"])


@st.composite
def _requests(draw: Any, subscription: str) -> tuple[str, str, bytes | None, dict[str, str]]:
    shape = draw(st.sampled_from(["set", "vm", "group", "raw", "operation"]))
    rg = draw(st.sampled_from([RG, RG]) | _NAME)
    name = draw(_NAME)
    if shape == "set":
        path = f"/subscriptions/{subscription}/resourceGroups/{quote(rg, safe='')}/providers/Microsoft.Compute/" \
               f"virtualMachineScaleSets/{quote(name, safe='')}{draw(_TAIL)}"
    elif shape == "vm":
        path = f"/subscriptions/{subscription}/resourceGroups/{quote(rg, safe='')}/providers/Microsoft.Compute/" \
               f"virtualMachines/{quote(name, safe='')}{draw(st.sampled_from(['', '/start', '/instanceView']))}"
    elif shape == "group":
        sub = draw(st.sampled_from([subscription]) | _NAME)
        path = f"/subscriptions/{quote(sub, safe='')}/resourceGroups/{quote(rg, safe='')}"
    elif shape == "operation":
        path = f"/subscriptions/{subscription}/providers/Microsoft.Compute/locations/{quote(name, safe='')}/" \
               f"{draw(st.sampled_from(['operations', 'operationResults']))}/{quote(draw(_NAME), safe='')}"
    else:
        path = "/" + quote(draw(st.text(max_size=60)), safe="/%?&=")
    version = draw(st.sampled_from([API, API, "2021-04-01", "2099-01-01", ""]) | st.text(max_size=12))
    query = draw(st.sampled_from(["", "&$skiptoken=abc", "&$expand=instanceView", "&forceDeletion=true"])
                 | st.text(max_size=20).map(lambda t: "&" + quote(t, safe="=&")))
    target = f"{path}?api-version={quote(version, safe='')}{query}"
    method = draw(st.sampled_from(["GET", "PUT", "PATCH", "POST", "DELETE", "HEAD", "OPTIONS"]))
    headers = draw(st.dictionaries(st.sampled_from(["If-None-Match", "x-ms-client-request-id", "Accept",
                                                   "Content-Type", "X-Custom"]),
                                   st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
                                   max_size=3))
    return method, target, draw(_BODY), headers


def test_no_path_header_or_body_gets_a_5xx_or_a_dropped_connection(endpoint: Endpoint) -> None:
    subscription = endpoint.handle.subscription_id
    seen: dict[int, int] = {}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(_requests(subscription))
    def run(request: tuple[str, str, bytes | None, dict[str, str]]) -> None:
        method, target, body, headers = request
        sent = {"Authorization": "Bearer token", **headers}
        connection = http.client.HTTPSConnection(endpoint.host, endpoint.port, context=endpoint.context, timeout=10)
        try:
            connection.request(method, target, body=body, headers=sent)
            response = connection.getresponse()
            response.read()
        except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLError) as problem:
            raise AssertionError(f"the server dropped the connection on {method} {target!r}") from problem
        finally:
            connection.close()
        seen[response.status] = seen.get(response.status, 0) + 1
        assert response.status < 500, (method, target, body, response.status)

    run()
    assert sum(seen.values()) >= 200 and any(200 <= status < 300 for status in seen), seen
