"""ARM paging: one page of a list, the rest through an absolute `nextLink` carrying `$skiptoken`.

The token is opaque to clients (Azure's is too); ours is a base64 offset, refused with
InvalidParameter when it is not one of ours.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Sequence
from urllib.parse import quote, urlencode

from ..domain import errors
from .routing import Request, Response


def page(request: Request, items: Sequence[dict[str, Any]], page_size: int) -> Response:
    """One page of `items` (read only for that page: `items` may convert lazily)."""
    offset = decode_skiptoken(request.query.get("$skiptoken"))
    size = max(1, page_size)
    body: dict[str, Any] = {"value": items[offset:offset + size]}
    if offset + size < len(items):
        query = {k: v for k, v in request.raw_query.items() if k.lower() != "$skiptoken"}
        query["$skiptoken"] = encode_skiptoken(offset + size)
        body["nextLink"] = f"{request.base_url}{quote(request.path)}?{urlencode(query)}"
    return Response(200, body)


def encode_skiptoken(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_skiptoken(token: str | None) -> int:
    if not token:
        return 0
    try:
        padded = token + "=" * (-len(token) % 4)
        return max(0, int(json.loads(base64.urlsafe_b64decode(padded))["o"]))
    except (ValueError, KeyError, TypeError):
        raise errors.InvalidParameter("The $skiptoken is invalid.", target="$skiptoken") from None
