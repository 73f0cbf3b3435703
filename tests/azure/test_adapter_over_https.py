"""What only the wire shows: the real SDK, over real HTTPS, against the emulator's ARM endpoint."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from vmss_tui.backends.protocol import ConcurrentRefresh
from vmss_tui.domain import errors
from vmss_tui.domain.models import Operation, OperationStatus, PowerAction

from .conftest import RG, Served, make_flexible, make_uniform

ROOT = Path(__file__).resolve().parents[2]


def test_a_list_longer_than_a_page_is_followed_through_every_next_link(served: Served) -> None:
    for name in ("a", "b", "c", "d", "e"):
        make_uniform(served.emulator, name, capacity=0)
    served.settings.page_size = 2
    adapter = served.open_adapter()
    before = served.server.app.requests_served
    assert [s.name for s in adapter.list_scale_sets(RG)] == ["a", "b", "c", "d", "e"]
    assert served.server.app.requests_served - before == 3  # three pages, three GETs


def test_instances_are_paged_too(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=5)
    make_flexible(served.emulator, "flex", capacity=3)
    served.settings.page_size = 2
    adapter = served.open_adapter()
    assert [i.instance_id for i in adapter.list_instances(RG, "web")] == ["0", "1", "2", "3", "4"]
    assert len(adapter.list_instances(RG, "flex")) == 3


def test_a_long_operation_is_polled_several_times_and_progress_sees_each_snapshot(served: Served) -> None:
    adapter = served.open_adapter()
    make_uniform(adapter, "web", capacity=1)
    served.settings.lro_min_polls = 4
    snapshots: list[Operation] = []
    operation = adapter.set_capacity(RG, "web", 3)
    assert operation.status is OperationStatus.IN_PROGRESS and operation.kind == "scale"
    final = adapter.wait(operation, progress=snapshots.append)
    assert final.status is OperationStatus.SUCCEEDED
    assert served.server.app.poll_count(operation.id) >= 4
    assert snapshots[-1] == final and snapshots[0].status is OperationStatus.IN_PROGRESS
    assert sorted(final.created_instance_ids) == ["1", "2"]
    assert adapter.get_operation(operation.id) == final


def test_no_wait_returns_at_once_and_the_operation_can_be_looked_up_later(served: Served) -> None:
    adapter = served.open_adapter()
    make_uniform(adapter, "web", capacity=1)
    served.settings.lro_min_polls = 3
    operation = adapter.power_action(RG, "web", PowerAction.DEALLOCATE)
    assert not operation.done and operation.id == served.emulator.get_operation(operation.id).id
    assert adapter.wait(operation, timeout=5).status is OperationStatus.SUCCEEDED
    assert adapter.get_operation(operation.id).done


def test_wait_with_a_timeout_returns_the_last_snapshot_while_still_running(served: Served) -> None:
    adapter = served.open_adapter(polling_interval=0.2)
    make_uniform(adapter, "web", capacity=1)
    served.settings.lro_min_polls = 50
    operation = adapter.power_action(RG, "web", PowerAction.RESTART)
    snapshot = adapter.wait(operation, timeout=0.3)
    assert snapshot.status is OperationStatus.IN_PROGRESS


def test_a_429_is_visible_with_its_retry_after_when_retries_are_off(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=0)
    adapter = served.open_adapter(retry_total=0)
    served.settings.throttle_next = 1
    served.settings.throttle_retry_after = 2
    with pytest.raises(errors.TooManyRequests) as caught:
        adapter.list_scale_sets(RG)
    assert caught.value.http_status == 429 and caught.value.retry_after == 2
    assert "too many requests" in caught.value.message


def test_a_429_is_waited_out_by_default_and_the_wait_is_announced(served: Served) -> None:
    make_uniform(served.emulator, "web", capacity=0)
    notices: list[str] = []
    adapter = served.open_adapter(retry_total=None, notice=notices.append)
    served.settings.throttle_next = 1
    served.settings.throttle_retry_after = 1
    started = time.monotonic()
    assert [s.name for s in adapter.list_scale_sets(RG)] == ["web"]
    assert time.monotonic() - started >= 0.9  # Retry-After honoured, not hammered
    assert len(notices) == 1 and "429" in notices[0] and "1 s" in notices[0]
    assert adapter.throttle_count == 1


def test_a_409_keeps_azures_code_and_message(served: Served) -> None:
    adapter = served.open_adapter()
    make_uniform(adapter, "web", capacity=1)
    adapter.wait(adapter.power_action(RG, "web", PowerAction.DEALLOCATE, ["0"]))
    with pytest.raises(errors.OperationNotAllowed) as caught:
        adapter.power_action(RG, "web", PowerAction.RESTART, ["0"])
    assert caught.value.http_status == 409
    assert caught.value.message == "The operation requires the VM to be running (or set to run)."


def test_creating_a_set_that_exists_is_a_conflict_not_a_silent_update(served: Served) -> None:
    adapter = served.open_adapter()
    make_uniform(adapter, "web", capacity=1)
    with pytest.raises(errors.Conflict):
        make_uniform(adapter, "web", capacity=5)
    assert adapter.get_scale_set(RG, "web").capacity == 1


def test_a_404_is_resource_not_found_with_azures_message(served: Served) -> None:
    adapter = served.open_adapter()
    make_uniform(adapter, "web", capacity=1)
    with pytest.raises(errors.ResourceNotFound) as caught:
        adapter.get_scale_set(RG, "nope")
    assert "Microsoft.Compute/virtualMachineScaleSets/nope" in caught.value.message
    with pytest.raises(errors.ResourceNotFound):
        adapter.get_instance(RG, "web", "42")
    with pytest.raises(errors.ResourceGroupNotFound):
        adapter.list_scale_sets("no-such-group")


def test_an_expired_token_says_how_to_log_in_again(served: Served) -> None:
    adapter = served.open_adapter()
    served.settings.token_expired = True
    with pytest.raises(errors.AuthenticationFailed) as caught:
        adapter.list_scale_sets()
    assert caught.value.code == "ExpiredAuthenticationToken"
    assert "az login" in caught.value.message
    assert str(caught.value).startswith("(ExpiredAuthenticationToken) The access token expiry")


def _jwt(expires_at: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none'})}.{part({'exp': int(expires_at)})}.sig"


def test_a_jwt_past_its_expiry_is_refused_like_azure_refuses_it(served: Served) -> None:
    from vmss_tui.backends.azure.testing import StaticTokenCredential

    adapter = served.open_adapter(credential=StaticTokenCredential(token=_jwt(time.time() - 60)))
    with pytest.raises(errors.AuthenticationFailed) as caught:
        adapter.list_resource_groups()
    assert caught.value.code == "ExpiredAuthenticationToken"


def test_a_credential_that_cannot_get_a_token_says_how_to_log_in(served: Served) -> None:
    from azure.core.exceptions import ClientAuthenticationError

    class NoLogin:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            raise ClientAuthenticationError("Please run 'az login' to set up an account.")

    adapter = served.open_adapter(credential=NoLogin())
    with pytest.raises(errors.AuthenticationFailed) as caught:
        adapter.list_scale_sets()
    assert "az login" in caught.value.message and "AZURE_CLIENT_ID" in caught.value.message


def test_an_untrusted_certificate_is_service_unavailable_naming_the_ca_bundle(served: Served) -> None:
    adapter = served.open_adapter(connection_verify=True)
    with pytest.raises(errors.ServiceUnavailable) as caught:
        adapter.list_scale_sets()
    assert "CA bundle" in caught.value.message


def test_plain_http_is_refused_before_any_token_is_sent(served: Served) -> None:
    adapter = served.open_adapter(base_url=served.server.base_url.replace("https://", "http://"))
    before = served.server.app.requests_served
    with pytest.raises(errors.AzureError):
        adapter.list_scale_sets()
    assert served.server.app.requests_served == before


def test_many_sets_refresh_in_one_call_and_a_missing_set_fails_alone(served: Served) -> None:
    adapter = served.open_adapter()
    make_uniform(adapter, "web", capacity=2)
    make_flexible(adapter, "flex", capacity=1)
    assert isinstance(adapter, ConcurrentRefresh)
    results = adapter.refresh_scale_sets([(RG, "web"), (RG, "ghost"), (RG, "flex")])
    web, ghost, flex = results
    assert not isinstance(web, errors.AzureError) and [i.instance_id for i in web[1]] == ["0", "1"]
    assert isinstance(ghost, errors.ResourceNotFound)
    assert not isinstance(flex, errors.AzureError) and flex[0].is_flexible and len(flex[1]) == 1


def test_read_only_mode_refuses_mutations_without_sending_them(served: Served) -> None:
    adapter = served.open_adapter(read_only=True)
    make_uniform(served.emulator, "web", capacity=1)
    before = served.server.app.requests_served
    with pytest.raises(errors.ReadOnlyMode):
        adapter.set_capacity(RG, "web", 3)
    assert served.server.app.requests_served == before


def test_the_info_names_the_subscription_the_endpoint_serves(served: Served) -> None:
    info = served.open_adapter().info()
    assert info.kind == "azure" and info.subscription_id == served.server.subscription_id
    assert info.subscription_name == served.emulator.info().subscription_name


def test_the_emulator_and_its_arm_endpoint_never_import_the_azure_sdk(tmp_path: Path) -> None:
    script = f"""
import http.client, json, ssl, sys
from vmss_tui.backends import open_backend
from vmss_tui.armserver import serve_in_thread
backend = open_backend("emulator", db=r"{tmp_path / 'store'}", speed="instant")
server = serve_in_thread(backend, state_dir=r"{tmp_path / 'state'}")
context = ssl.create_default_context(cafile=str(server.ca_path))
host, port = server.base_url.removeprefix("https://").rsplit(":", 1)
connection = http.client.HTTPSConnection(host, int(port), context=context)
connection.request("GET", f"/subscriptions/{{server.subscription_id}}/resourcegroups?api-version=2021-04-01",
                   headers={{"Authorization": "Bearer x"}})
assert connection.getresponse().status == 200
server.stop()
loaded = sorted(m for m in sys.modules if m == "azure" or m.startswith("azure."))
print(json.dumps(loaded))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


class _PreemptedOperations:
    """Delegates to the emulator, except that chosen operations end Failed (Azure's OperationPreempted)."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.fail_ids: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def get_operation(self, operation_id: str) -> Operation:
        from dataclasses import replace

        from vmss_tui.domain.models import ErrorInfo

        operation = self._backend.get_operation(operation_id)
        if operation_id in self.fail_ids and operation.done:
            return replace(operation, status=OperationStatus.FAILED, error=ErrorInfo(
                "OperationPreempted", "The operation was preempted by a more recent operation.", "web"))
        return operation


def test_an_operation_that_fails_after_acceptance_ends_failed_with_azures_code(
        tmp_path: Path, arm_state_dir: Path) -> None:
    from vmss_tui.armserver import serve_in_thread
    from vmss_tui.backends import open_backend
    from vmss_tui.backends.azure.testing import StaticTokenCredential

    emulator = open_backend("emulator", db=tmp_path / "store", speed="instant", durable=False)
    emulator.create_or_update_resource_group(RG, "westeurope")  # sets need their group, as in Azure
    failing = _PreemptedOperations(emulator)
    server = serve_in_thread(failing, state_dir=arm_state_dir)  # type: ignore[arg-type]
    adapter = open_backend("azure", subscription=server.subscription_id, credential=StaticTokenCredential(),
                           base_url=server.base_url, connection_verify=str(server.ca_path), polling_interval=0,
                           retry_total=0)
    try:
        make_uniform(adapter, "web", capacity=1)
        operation = adapter.power_action(RG, "web", PowerAction.POWER_OFF)
        failing.fail_ids.add(operation.id)
        final = adapter.wait(operation)
        assert final.status is OperationStatus.FAILED
        assert final.error is not None and final.error.code == "OperationPreempted"
        assert "preempted" in final.error.message
    finally:
        adapter.close()
        server.stop()
        emulator.close()


def test_throttling_while_waiting_shows_in_the_progress_and_does_not_fail_the_operation(served: Served) -> None:
    adapter = served.open_adapter(retry_total=None, polling_interval=0.05)  # first poll comes after 50 ms
    make_uniform(adapter, "web", capacity=1)
    served.settings.lro_min_polls = 3
    served.settings.throttle_retry_after = 1
    operation = adapter.power_action(RG, "web", PowerAction.DEALLOCATE)
    served.settings.throttle_next = 1
    messages: list[str] = []
    final = adapter.wait(operation, progress=lambda snapshot: messages.append(snapshot.message))
    assert final.status is OperationStatus.SUCCEEDED
    assert any("throttled by Azure (429)" in message for message in messages)


def test_an_operation_started_with_no_wait_elsewhere_can_be_followed_by_its_id(served: Served) -> None:
    starter = served.open_adapter()
    make_uniform(starter, "web", capacity=2)
    served.settings.lro_min_polls = 2
    operation = starter.power_action(RG, "web", PowerAction.DEALLOCATE)
    follower = served.open_adapter()  # another process: it never saw the poller
    assert follower.get_operation(operation.id).id == operation.id
    final = follower.wait(operation)
    assert final.status is OperationStatus.SUCCEEDED and final.kind == "deallocate"
    with pytest.raises(errors.ResourceNotFound):
        follower.get_operation("no-such-operation")
