"""The endpoint's token authority: only tokens it issued pass, and the token names the audited operator.

Run against `vmss-tui emulator serve` in its own process, as users reach it; no az needed.
"""

from __future__ import annotations

import json
import os
import ssl
import stat
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlencode

import pytest

from tests.server_process import running_server
from vmss_tui.admin import audit
from vmss_tui.armserver.authority import TokenAuthority

READY = "Press Ctrl+C"


class Endpoint:
    def __init__(self, tmp: Path, stdout: str) -> None:
        shown: dict[str, str] = {}
        for line in stdout.splitlines():
            key, _, value = line.partition("  ")
            shown.setdefault(key.strip(), value.strip())
        self.base, self.subscription = shown["ARM endpoint"], shown["Subscription"]
        self.state_dir = tmp / "arm-state"
        self.audit_log = tmp / "data" / "vmss-tui" / "audit.jsonl"
        self.context = ssl.create_default_context(cafile=shown["CA bundle"])
        self.tenant = json.loads((self.state_dir / "authority.json").read_text())["tenantId"]

    def call(self, method: str, path: str, *, token: str | None = None, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(f"{self.base}{path}", data=body, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=60) as answer:
                status, raw, got = answer.status, answer.read(), dict(answer.headers.items())
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), dict(error.headers.items())
        return status, (json.loads(raw) if raw else None), got

    def token_for(self, client_id: str, secret: str, scope: str | None = None) -> tuple[int, Any]:
        form = urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
                          "scope": scope or f"{self.base}/.default"}).encode()
        status, body, _ = self.call("POST", f"/{self.tenant}/oauth2/v2.0/token", body=form,
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        return status, body

    @property
    def web(self) -> str:
        return (f"/subscriptions/{self.subscription}/resourceGroups/practice-rg/providers/Microsoft.Compute/"
                "virtualMachineScaleSets/web")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    tmp = tmp_path_factory.mktemp("authority")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VMSS_TUI_", "AZURE_"))}
    env.update(XDG_CONFIG_HOME=str(tmp / "config"), XDG_DATA_HOME=str(tmp / "data"))
    argv = [sys.executable, "-m", "vmss_tui", "emulator", "serve", "--port", "0", "--db", str(tmp / "store"),
            "--seed", "--state-dir", str(tmp / "arm-state"), "--speed", "instant"]
    with running_server(argv, READY, env=env, cwd=tmp) as server:
        yield Endpoint(tmp, server.stdout)


def _own_client(endpoint: Endpoint, name: str | None = None) -> Any:
    return TokenAuthority(endpoint.state_dir).client_for(name)


def test_the_endpoint_refuses_a_token_it_did_not_issue(endpoint: Endpoint) -> None:
    # Before the authority, any non-empty bearer token was served: a local user could act unaudited.
    for forged in ("emulator", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "a.b.c"):
        status, body, headers = endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=forged)
        assert status == 401, (forged, body)
        assert body["error"]["code"] == "InvalidAuthenticationToken"
        assert headers["WWW-Authenticate"].startswith(f'Bearer authorization_uri="{endpoint.base}/{endpoint.tenant}"')


def test_a_token_signed_by_another_key_is_refused(endpoint: Endpoint, tmp_path: Path) -> None:
    stranger = TokenAuthority(tmp_path / "elsewhere")
    stranger.tenant_id = endpoint.tenant  # same claims, same issuer: only the key differs
    token = stranger.issue(stranger.client_for("mallory"), endpoint.base, endpoint.base)
    status, body, _ = endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=token)
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"


def test_expired_and_wrong_audience_tokens_get_arms_codes(endpoint: Endpoint) -> None:
    authority = TokenAuthority(endpoint.state_dir)
    client = authority.client_for()
    expired = authority.issue(client, endpoint.base, endpoint.base, now=time.time() - 7200)
    status, body, _ = endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=expired)
    assert status == 401 and body["error"]["code"] == "ExpiredAuthenticationToken"
    graph = authority.issue(client, "https://graph.microsoft.com", endpoint.base)
    status, body, _ = endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=graph)
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationTokenAudience"
    assert "https://graph.microsoft.com" in body["error"]["message"]


def test_client_credentials_buy_a_token_the_endpoint_accepts(endpoint: Endpoint) -> None:
    client = _own_client(endpoint)
    status, answer = endpoint.token_for(client.client_id, client.secret)
    assert status == 200 and answer["token_type"] == "Bearer" and 3000 < answer["expires_in"] <= 3600
    status, body, _ = endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=answer["access_token"])
    assert status == 200 and body["name"] == "web"
    # The Azure SDK's own audience is accepted too.
    status, answer = endpoint.token_for(client.client_id, client.secret, "https://management.azure.com/.default")
    assert status == 200
    assert endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=answer["access_token"])[0] == 200


@pytest.mark.parametrize("case, status, error, code", [
    ("wrong secret", 401, "invalid_client", 7000215),
    ("unknown client", 400, "unauthorized_client", 700016),
    ("scope for another resource", 400, "invalid_scope", 70011),
])
def test_the_token_endpoint_refuses_as_entra_id_does(endpoint: Endpoint, case: str, status: int, error: str,
                                                      code: int) -> None:
    client = _own_client(endpoint)
    client_id, secret, scope = client.client_id, client.secret, None
    if case == "wrong secret":
        secret = secret[::-1]
    elif case == "unknown client":
        client_id = "00000000-0000-0000-0000-000000000001"
    else:
        scope = "https://graph.microsoft.com/.default"
    got, body = endpoint.token_for(client_id, secret, scope)
    assert (got, body["error"], body["error_codes"]) == (status, error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert "access_token" not in body


def test_discovery_documents_point_at_this_endpoint(endpoint: Endpoint) -> None:
    for path, token_path in ((f"/{endpoint.tenant}/v2.0/.well-known/openid-configuration", "/oauth2/v2.0/token"),
                             (f"/{endpoint.tenant}/.well-known/openid-configuration", "/oauth2/token")):
        status, document, _ = endpoint.call("GET", path)
        assert status == 200
        assert document["token_endpoint"] == f"{endpoint.base}/{endpoint.tenant}{token_path}"
        assert document["authorization_endpoint"].startswith(f"{endpoint.base}/{endpoint.tenant}/")
    status, keys, _ = endpoint.call("GET", f"/{endpoint.tenant}/discovery/v2.0/keys")
    assert status == 200 and keys["keys"][0]["kty"] == "RSA" and "d" not in keys["keys"][0]
    status, body, _ = endpoint.call("GET", "/another-tenant/v2.0/.well-known/openid-configuration")
    assert status == 400 and body["error_codes"] == [90002]


def test_the_signing_key_and_client_secrets_are_readable_by_their_owner_only(endpoint: Endpoint) -> None:
    for name in ("token-signing-key.pem", "authority.json", "endpoint.json"):
        mode = stat.S_IMODE((endpoint.state_dir / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"


def test_the_audit_line_names_the_client_the_token_was_issued_to(endpoint: Endpoint) -> None:
    bot = _own_client(endpoint, "ci-bot")  # registered while the server runs: it picks the new client up
    status, answer = endpoint.token_for(bot.client_id, bot.secret)
    assert status == 200, answer
    status, _, _ = endpoint.call("POST", f"{endpoint.web}/restart?api-version=2024-07-01", body=b"",
                                 token=answer["access_token"])
    assert status == 202
    status, _, _ = endpoint.call("POST", f"{endpoint.web}/start?api-version=2024-07-01", body=b"", token="forged")
    assert status == 401
    records, _ = audit.read(endpoint.audit_log)
    lines = [(r.operator, r.outcome, r.command.rsplit("/", 1)[-1]) for r in records]
    assert ("ci-bot", "success", "restart") in lines
    assert ("anonymous", "refused", "start") in lines
    assert not any("oauth2" in r.command for r in records), "sign-ins are not changes"


def test_the_image_alias_document_is_public_and_nothing_else_is(endpoint: Endpoint) -> None:
    # az fetches its alias document with no token (on Azure it is a public file); before the endpoint
    # served it, every `az vmss create` warned "Failed to retrieve image alias doc ... 401".
    status, body, _ = endpoint.call("GET", "/vmss-tui/image-aliases.json")
    assert status == 200
    linux = body["outputs"]["aliases"]["value"]["Linux"]
    assert linux["Ubuntu2204"] == {"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy",
                                   "sku": "22_04-lts-gen2", "version": "latest", "architecture": "x64"}
    assert "Win2022Datacenter" in body["outputs"]["aliases"]["value"]["Windows"]
    for path in ("/vmss-tui/image-aliases.json/../../subscriptions?api-version=2022-12-01",
                 "/vmss-tui/other.json", f"{endpoint.web}?api-version=2024-07-01"):
        status, body, _ = endpoint.call("GET", path)
        assert status == 401, (path, body)
    assert endpoint.call("POST", "/vmss-tui/image-aliases.json", body=b"{}")[0] == 401


AZ_CLI_APP = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
"""az's own public client id: what `az login --use-device-code` asks with."""


def _form_post(endpoint: Endpoint, path: str, fields: dict[str, str]) -> tuple[int, Any]:
    status, body, _ = endpoint.call("POST", path, body=urlencode(fields).encode(),
                                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    return status, body


def _device_poll(endpoint: Endpoint, device_code: str) -> tuple[int, Any]:
    return _form_post(endpoint, f"/{endpoint.tenant}/oauth2/v2.0/token",
                      {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": AZ_CLI_APP,
                       "device_code": device_code, "client_info": "1"})


def test_device_code_sign_in_waits_for_a_client_to_approve_and_names_it(endpoint: Endpoint) -> None:
    status, document, _ = endpoint.call("GET", "/organizations/v2.0/.well-known/openid-configuration")
    assert document["device_authorization_endpoint"] == f"{endpoint.base}/{endpoint.tenant}/oauth2/v2.0/devicecode"
    status, flow = _form_post(endpoint, f"/{endpoint.tenant}/oauth2/v2.0/devicecode",
                              {"client_id": AZ_CLI_APP, "scope": f"{endpoint.base}//.default offline_access openid "
                                                                 "profile"})
    assert status == 200 and flow["expires_in"] == 900 and flow["user_code"] in flow["message"]
    assert f"vmss-tui emulator approve {flow['user_code']}" in flow["message"]
    status, pending = _device_poll(endpoint, flow["device_code"])
    assert (status, pending["error"], pending["error_codes"]) == (400, "authorization_pending", [70016])

    approver = _own_client(endpoint, "dana")
    approval = f"/{endpoint.tenant}/oauth2/v2.0/deviceauth"
    status, refused = _form_post(endpoint, approval, {"user_code": flow["user_code"], "client_id": approver.client_id,
                                                      "client_secret": approver.secret[::-1]})
    assert (status, refused["error"]) == (401, "invalid_client")  # knowing the code is not enough: the secret is
    assert _device_poll(endpoint, flow["device_code"])[1]["error"] == "authorization_pending"
    status, approved = _form_post(endpoint, approval, {"user_code": flow["user_code"], "client_id": approver.client_id,
                                                       "client_secret": approver.secret})
    assert status == 200 and approved["username"] == "dana@vmss-tui.emulator"

    status, tokens = _device_poll(endpoint, flow["device_code"])
    assert status == 200, tokens
    import jwt

    id_claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert id_claims["aud"] == AZ_CLI_APP and id_claims["preferred_username"] == "dana@vmss-tui.emulator"
    assert id_claims["tid"] == endpoint.tenant
    # The code is good once: a second poll (or a replay) gets nothing.
    assert _device_poll(endpoint, flow["device_code"])[1]["error"] == "invalid_grant"
    # The access token works and the change it makes is audited under the approving client.
    status, _, _ = endpoint.call("POST", f"{endpoint.web}/restart?api-version=2024-07-01", body=b"",
                                 token=tokens["access_token"])
    assert status == 202
    records, _ = audit.read(endpoint.audit_log)
    assert ("dana", "restart") in [(r.operator, r.command.rsplit("/", 1)[-1]) for r in records]
    # A refresh token is no access token, but buys new tokens for the same user.
    status, body, _ = endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=tokens["refresh_token"])
    assert status == 401
    status, again = _form_post(endpoint, f"/{endpoint.tenant}/oauth2/v2.0/token",
                               {"grant_type": "refresh_token", "client_id": AZ_CLI_APP,
                                "refresh_token": tokens["refresh_token"],
                                "scope": "https://management.azure.com/.default offline_access"})
    assert status == 200, again
    assert jwt.decode(again["access_token"], options={"verify_signature": False})["aud"] == "https://management.azure.com"
    assert endpoint.call("GET", f"{endpoint.web}?api-version=2024-07-01", token=again["access_token"])[0] == 200
    status, other_app = _form_post(endpoint, f"/{endpoint.tenant}/oauth2/v2.0/token",
                                   {"grant_type": "refresh_token", "client_id": "11111111-2222-3333-4444-555555555555",
                                    "refresh_token": tokens["refresh_token"], "scope": f"{endpoint.base}/.default"})
    assert (status, other_app["error"]) == (400, "invalid_grant")


def test_a_device_code_never_issued_or_forged_is_refused(endpoint: Endpoint) -> None:
    status, body = _device_poll(endpoint, "not-a-device-code")
    assert (status, body["error"]) == (400, "invalid_grant")
    me = _own_client(endpoint)
    status, body = _form_post(endpoint, f"/{endpoint.tenant}/oauth2/v2.0/deviceauth",
                              {"user_code": "ZZZZZZZZZ", "client_id": me.client_id, "client_secret": me.secret})
    assert (status, body["error"], body["error_codes"]) == (400, "expired_token", [70019])
    status, body = _form_post(endpoint, f"/{endpoint.tenant}/oauth2/v2.0/token",
                              {"grant_type": "refresh_token", "client_id": AZ_CLI_APP, "refresh_token": "a.b.c",
                               "scope": f"{endpoint.base}/.default"})
    assert (status, body["error"]) == (400, "invalid_grant")
    # An access token is not a refresh token either.
    _, answer = endpoint.token_for(me.client_id, me.secret)
    status, body = _form_post(endpoint, f"/{endpoint.tenant}/oauth2/v2.0/token",
                              {"grant_type": "refresh_token", "client_id": me.client_id,
                               "refresh_token": answer["access_token"], "scope": f"{endpoint.base}/.default"})
    assert (status, body["error"]) == (400, "invalid_grant")
