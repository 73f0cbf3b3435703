"""The route table: each provider's `ROUTES` (path template, methods, handler), matched in order.

A provider module (moto's `urls.py` + `responses.py`) lists `Route`s whose handlers take the app,
the request and the path's named parts. `app.py` only concatenates the tables; adding a resource
provider adds a module and one line there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from ..domain import errors
from . import validation
from .views import dumps

# Path fragments Azure's REST specs use; every named group is checked by validation.check_path_names.
SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<rg>[^/]+)"
COMPUTE = r"/providers/Microsoft\.Compute"
LOCATION = SUB + COMPUTE + r"/locations/(?P<loc>[^/]+)"
VMSS = RG + COMPUTE + r"/virtualMachineScaleSets/(?P<vmss>[^/]+)"
VMSS_VM = VMSS + r"/virtualMachines/(?P<iid>[^/]+)"
VM = RG + COMPUTE + r"/virtualMachines/(?P<vm>[^/]+)"

RESOURCES_TYPES = frozenset({"resourceGroups", "subscriptions", "tenants"})
"""Microsoft.Resources' own types: their api-versions are ARM's, not Compute's."""


@dataclass
class Request:
    """One parsed request, as handlers see it."""

    method: str
    path: str
    query: dict[str, str]
    """Query parameters with lower-cased names."""
    raw_query: dict[str, str]
    """Query parameters as sent (for links that echo them)."""
    body: Any
    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    """Header names lower-cased."""

    @property
    def api_version(self) -> str:
        return self.query.get("api-version", "")

    @property
    def expand_instance_view(self) -> bool:
        return "instanceview" in self.query.get("$expand", "").lower()


@dataclass
class Response:
    """What `ArmApp.handle` answers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def body_bytes(self) -> bytes:
        """JSON-encoded body, empty when there is none."""
        if self.body is None:
            return b""
        # orjson: UTF-8 JSON, ~10x json.dumps; a page's rows keep their bytes from the last page that showed them.
        return dumps(self.body)


def error_response(error: errors.AzureError) -> Response:
    """ARM's error body for a domain error, with `Retry-After` when the error carries one."""
    headers: dict[str, str] = {}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, int(round(retry_after))))
    return Response(error.http_status or 500, error.to_body(), headers)


Handler = Callable[..., Response]
"""handler(app, request, **path_parts) -> Response."""


class Route:
    """One path template, the methods it serves and the handler of each method."""

    def __init__(self, pattern: str, handlers: dict[str, Handler], *,
                 resource_type: str = "virtualMachineScaleSets", schema: validation.Check | None = None) -> None:
        self.pattern = pattern
        self.regex = re.compile("^" + pattern + "/?$", re.IGNORECASE)
        self.handlers = {method.upper(): handler for method, handler in handlers.items()}
        self.resource_type = resource_type
        """The type whose api-versions apply: Microsoft.Resources' own types, or Compute's."""
        self.schema = schema
        """The JSON types and ranges a PUT/PATCH/POST body must have."""

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.handlers)

    @property
    def api_kind(self) -> str:
        return "resources" if self.resource_type in RESOURCES_TYPES else "compute"


_UNSEEN: Any = object()


class RouteTable:
    """Routes of every provider, matched in order (first match wins)."""

    MATCHES_KEPT = 256
    """Recent paths and what they matched: every page of a walk asks for the same path (the table never changes)."""

    def __init__(self, *tables: Sequence[Route]) -> None:
        self.routes = [route for table in tables for route in table]
        self._recent: dict[str, tuple[Route, dict[str, str]] | None] = {}

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        known = self._recent.get(path, _UNSEEN)  # one lookup: another thread may clear it meanwhile
        if known is not _UNSEEN:
            return None if known is None else (known[0], dict(known[1]))  # type: ignore[index]
        matched: tuple[Route, dict[str, str]] | None = None
        for route in self.routes:
            found = route.regex.match(path)
            if found is not None:
                matched = route, found.groupdict()
                break
        if len(self._recent) >= self.MATCHES_KEPT:
            self._recent.clear()  # bounded: a client sending ever new paths costs a rescan, never memory
        self._recent[path] = None if matched is None else (matched[0], dict(matched[1]))
        return matched

