"""The entity tag of an ARM resource body: one rule for the endpoint's `ETag` and the CLI's `etag`.

A strong tag of the resource as served: it changes whenever what a GET shows changes. The
endpoint answers a single resource's GET (and a change's result) with it in the body and the
header; lists carry none. `az vmss show` and `az vm show` print it, so `-o json` does too.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

import orjson


def etag_of(body: Mapping[str, Any]) -> str:
    """The quoted tag of `body` (any `etag` already in it left out)."""
    content = {key: value for key, value in body.items() if key != "etag"}
    return '"' + hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16] + '"'


def with_etag(body: Mapping[str, Any]) -> dict[str, Any]:
    """`body` with its `etag`."""
    return {**body, "etag": etag_of(body)}
