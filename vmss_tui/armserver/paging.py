"""ARM paging: one page of a list, the rest through an absolute `nextLink` carrying `$skiptoken`.

The token is opaque to clients (Azure's is too). Ours is base64 JSON: the offset of the next item
and, for lists that name their items (`keyed`), the key of the last item served. The Microsoft REST
API guidelines (9.8.3) ask a server to encode the last record read because items created or deleted
between pages shift every offset: with the key, the next page resumes right after that item (or, in
a list sorted by key, after where it was), so an item that exists for the whole walk is served
exactly once whatever was deleted before it. Every page reads the list as it is now (no snapshot).
A token that is not one of ours is refused with InvalidParameter.
"""

from __future__ import annotations

import base64
import bisect
import json
from typing import Any, Hashable, Protocol, Sequence, cast
from urllib.parse import quote, urlencode

from ..domain import errors
from .routing import Request, Response

MAX_TOKEN_CHARS = 512
"""Longer than any token we write (an offset and a resource name): a longer one is not ours."""


class Keyed(Protocol):
    """A list whose items have keys: unique, str or int, strictly ascending when `ordered`."""

    ordered: bool

    def __len__(self) -> int: ...

    def key_at(self, index: int) -> Hashable: ...

    def all_keys(self) -> Sequence[Hashable]: ...


def page(request: Request, items: Sequence[dict[str, Any]], page_size: int) -> Response:
    """One page of `items` (read only for that page: `items` may convert lazily)."""
    offset, last_key = decode_skiptoken(request.query.get("$skiptoken"))
    # hasattr, not isinstance: a runtime Protocol check costs more than the rest of a cached page
    keyed = cast(Keyed, items) if hasattr(items, "key_at") else None
    start = resume_at(keyed, offset, last_key) if keyed is not None else offset
    size = max(1, page_size)
    end = min(start + size, len(items))
    body: dict[str, Any] = {"value": items[start:end]}
    if end < len(items):
        query = {k: v for k, v in request.raw_query.items() if k.lower() != "$skiptoken"}
        query["$skiptoken"] = encode_skiptoken(end, keyed.key_at(end - 1) if keyed is not None and end > 0 else None)
        body["nextLink"] = f"{request.base_url}{quote(request.path)}?{urlencode(query)}"
    return Response(200, body)


def resume_at(items: Keyed, offset: int, last_key: Hashable | None) -> int:
    """Where the page after the item `last_key` (served at `offset - 1`) starts in `items` as they are now."""
    count = len(items)
    if last_key is None:
        return min(offset, count)
    if 0 < offset <= count and items.key_at(offset - 1) == last_key:
        return offset  # nothing moved before it: the usual case, no search
    keys = items.all_keys()
    if items.ordered:
        if keys and type(keys[0]) is not type(last_key):
            return min(offset, count)  # another kind of list (the set was recreated in another mode)
        return bisect.bisect_right(keys, last_key)  # type: ignore[arg-type]
    for index, key in enumerate(keys):
        if key == last_key:
            return index + 1
    return min(offset, count)  # the last item is gone and the order does not say where it was


def encode_skiptoken(offset: int, last_key: Hashable | None = None) -> str:
    token: dict[str, Any] = {"o": offset}
    if last_key is not None:
        token["k"] = last_key
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")


def decode_skiptoken(token: str | None) -> tuple[int, Hashable | None]:
    """(offset, key of the last item served or None); InvalidParameter for anything we never wrote."""
    if not token:
        return 0, None
    try:
        if len(token) > MAX_TOKEN_CHARS:
            raise ValueError("too long")
        padded = token + "=" * (-len(token) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
        offset, last_key = decoded["o"], decoded.get("k")
        if type(offset) is not int or offset < 0:
            raise ValueError("not an offset")
        if last_key is not None and type(last_key) not in (int, str):
            raise ValueError("not a key")
        return offset, last_key
    except (ValueError, KeyError, TypeError, AttributeError):
        raise errors.InvalidParameter("The $skiptoken is invalid.", target="$skiptoken") from None
