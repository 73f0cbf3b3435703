"""The ARM endpoint's policy and dispatch, independent of the socket layer.

`ArmApp.handle()` turns one HTTP request into one response; `server.py` puts it behind HTTPS.
This module keeps only what every request goes through: sign-in (the token authority's routes and
bearer check), injected throttling, the api-version, path names and body checks, dispatch through
the route table, and ARM's error body. The providers (`providers/*.py`) answer; `lro.py` and
`paging.py` hold the long-running-operation and paging protocols they share.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

from ..backends.protocol import Backend
from ..domain import errors
from ..domain.names import shown
from . import paging, validation
from .lro import OperationTracker
from .providers import compute, deployments, insights, network, reservations, resources
from .routing import Request, Response, RouteTable, error_response
from .views import RowCache

log = logging.getLogger(__name__)

__all__ = ["ArmApp", "Response", "ServerSettings"]

_PROVIDER = re.compile(r"/providers/(?P<namespace>[^/]+)(?:/(?P<type>[^/]+))?", re.IGNORECASE)
_SERVED_NAMESPACES = frozenset({"microsoft.compute", "microsoft.resources"})


@dataclass
class ServerSettings:
    """Knobs for tests, benchmarks and practice; every one can change while the server runs."""

    latency: float = 0.0
    """Seconds added to every request before it is handled (a far-away region)."""
    page_size: int = 100
    """Items per page of every list; more items come through `nextLink`."""
    lro_retry_after: int | None = None
    """`Retry-After` seconds on long-running-operation responses; None sends none."""
    lro_min_polls: int = 0
    """Report each operation as InProgress for at least this many status polls."""
    throttle_next: int = 0
    """Answer the next N requests with 429 TooManyRequests."""
    throttle_every: int = 0
    """Answer every Nth request with 429 (0 = never)."""
    throttle_retry_after: int = 1
    """`Retry-After` seconds sent with a 429."""
    token_expired: bool = False
    """Answer every request with 401 ExpiredAuthenticationToken, as ARM does for a stale token."""
    max_connections: int = 64
    """Open connections served at once; past it the oldest idle one is closed, or the new one if none is idle."""
    idle_timeout: float = 60.0
    """Seconds a connection may wait for (or in the middle of) a read before the server closes it."""
    max_body_bytes: int = validation.MAX_BODY_BYTES
    """Longest request body read; a longer Content-Length is answered 413 without reading it."""
    authority: Any = None
    """The token authority (armserver/authority.py) serving sign-in on this server; when set, only its tokens pass."""


class ArmApp:
    """Serves one backend's subscription as ARM would."""

    def __init__(self, backend: Backend, settings: ServerSettings | None = None) -> None:
        self.backend = backend
        self.settings = settings or ServerSettings()
        self.subscription_id = backend.info().subscription_id
        self.default_location = backend.info().default_location or "westeurope"
        self._backend_lock = threading.RLock()
        self._state_lock = threading.Lock()
        self.operations = OperationTracker(self.settings, self.subscription_id, self.default_location,
                                           lambda op_id: self.call(self.backend.get_operation, op_id))
        self.rows = RowCache()  # wire rows of recent lists, converted as pages are read
        self.routes = RouteTable(resources.ROUTES, deployments.ROUTES, network.ROUTES, insights.ROUTES,
                                 reservations.ROUTES, compute.ROUTES)
        self._request_count = 0
        self.requests_served = 0

    def poll_count(self, operation_id: str) -> int:
        """How many times clients asked for this operation's status (both status URLs)."""
        return self.operations.poll_count(operation_id)

    def call(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the backend one request at a time: the backend protocol is not thread-safe."""
        with self._backend_lock:
            return function(*args, **kwargs)

    def page(self, request: Request, items: Sequence[dict[str, Any]]) -> Response:
        """One page of `items` at the configured page size; the rest through `nextLink`."""
        return paging.page(request, items, self.settings.page_size)

    # ------------------------------------------------------------ entry point

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
               base_url: str) -> Response:
        """Answer one request; never raises (errors become ARM error bodies)."""
        request_id = str(uuid.uuid4())
        headers = {k.lower(): v for k, v in headers.items()}
        try:
            response = self._handle(method.upper(), target, headers, body, base_url.rstrip("/"))
        except errors.AzureError as error:
            response = error_response(error)
        except Exception:  # the server must answer, whatever the backend did
            log.exception("internal error serving %s %s", method, target)
            response = Response(500, {"error": {"code": "InternalServerError",
                                                "message": "The server encountered an internal error."}})
        response.headers.setdefault("x-ms-request-id", request_id)
        response.headers.setdefault("x-ms-correlation-request-id",
                                    headers.get("x-ms-client-request-id", request_id))
        with self._state_lock:
            self.requests_served += 1
        return response

    def _handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
                base_url: str) -> Response:
        if self.settings.authority is not None:  # sign-in routes (armserver/authority.py), before any token check
            answered = self.settings.authority.serve(method, target, headers, body, base_url)
            if answered is not None:
                return Response(*answered)
        if method in ("GET", "HEAD") and urlsplit(target).path == compute.IMAGE_ALIAS_DOC_PATH:
            return Response(200, compute.image_alias_document())  # public, as on Azure: az reads it unsigned
        authorization = headers.get("authorization", "")
        if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            return Response(401, {"error": {
                "code": "AuthenticationFailed",
                "message": "Authentication failed. The 'Authorization' header is missing or not a Bearer token."}})
        if self.settings.authority is not None and not self.settings.token_expired:
            refused = self.settings.authority.check_bearer(authorization[7:].strip(), base_url)
            if refused is not None:
                return Response(*refused)
        if self.settings.token_expired or _jwt_expired(authorization[7:].strip()):
            now = datetime.now(timezone.utc)
            return Response(401, {"error": {
                "code": "ExpiredAuthenticationToken",
                "message": (f"The access token expiry UTC time '{now:%m/%d/%Y %I:%M:%S %p}' is earlier than "
                            f"current UTC time '{now:%m/%d/%Y %I:%M:%S %p}'.")}})
        throttled = self._take_throttle()
        if throttled:
            retry_after = self.settings.throttle_retry_after
            return Response(429, {"error": {
                "code": "OperationNotAllowed",
                "message": ("The server rejected the request because too many requests have been received "
                            "for this subscription."),
                "details": [{"code": "TooManyRequests", "target": "HighCostGet30Min",
                             "message": '{"operationGroup":"HighCostGet30Min","startTime":"'
                                        + datetime.now(timezone.utc).isoformat()
                                        + '","endTime":"","allowedRequestCount":900,"measuredRequestCount":901}'}],
            }}, {"Retry-After": str(retry_after)})

        return self._dispatch(method, target, headers, body, base_url)

    def _dispatch(self, method: str, target: str, headers: Mapping[str, str], body: bytes,
                  base_url: str) -> Response:
        split = urlsplit(target)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        query_lower = {k.lower(): v for k, v in query.items()}
        api_version = query_lower.get("api-version")
        if api_version is None:
            validation.check_api_version(None, "compute", "", self.default_location)
        matched = self.routes.match(path)
        if matched is None:
            provider = _PROVIDER.search(path)
            if provider is not None and provider.group("namespace").lower() not in _SERVED_NAMESPACES:
                raise validation.no_provider(provider.group("namespace"), provider.group("type") or "",
                                             api_version, self.default_location)
            return Response(404, {"error": {
                "code": "InvalidResourceType",
                "message": f"The resource type could not be found for the path '{shown(path, 200)}'."}})
        route, params = matched
        handler = route.handlers.get(method)
        if handler is None:
            return Response(405, {"error": {
                "code": "MethodNotAllowed",
                "message": f"The requested resource does not support http method '{method}'."}})
        validation.check_api_version(api_version, route.api_kind, route.resource_type, self.default_location)
        if "sub" in params and params["sub"].lower() != self.subscription_id.lower():
            return Response(404, {"error": {
                "code": "SubscriptionNotFound",
                "message": f"The subscription '{shown(params['sub'])}' could not be found."}})
        validation.check_path_names(params)
        parsed_body = getattr(route, "parse_body", validation.parse_body)(body)
        if route.schema is not None and method in ("PUT", "PATCH", "POST"):
            validation.check_body(parsed_body, route.schema)
        request = Request(method=method, path=path, query=query_lower, raw_query=query,
                          body=parsed_body, base_url=base_url, headers=dict(headers))
        try:
            return handler(self, request, **params)
        except errors.ResourceNotFound:
            if "rg" in params and route.pattern not in resources.GROUP_ROUTE_PATTERNS:
                resources.require_group(self, params["rg"])  # ARM answers for the group first: ResourceGroupNotFound
            raise

    def _take_throttle(self) -> bool:
        with self._state_lock:
            self._request_count += 1
            if self.settings.throttle_next > 0:
                self.settings.throttle_next -= 1
                return True
            every = self.settings.throttle_every
            return bool(every) and self._request_count % every == 0


def _jwt_expired(token: str) -> bool:
    """True for a JWT whose `exp` has passed; opaque tokens are never "expired"."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(payload["exp"]) < time.time()
    except (ValueError, KeyError, TypeError):
        return False
