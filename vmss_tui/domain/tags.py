"""Azure's tag rules, one rule for every resource that carries tags (groups, scale sets, VMs).

Source: learn.microsoft.com, "Use tags to organize your Azure resources and management hierarchy",
Limitations: at most 50 tag name/value pairs per resource, names up to 512 characters (128 for
storage accounts, not modelled), values up to 256 characters, and tag names cannot contain
`<`, `>`, `%`, `&`, `\\`, `?`, `/`. Control characters are refused too (the store prints them).
"""

from __future__ import annotations

from typing import Any, Iterable

from . import errors, names

TAGS_MAX = 50
TAG_NAME_MAX = 512
TAG_VALUE_MAX = 256
TAG_NAME_FORBIDDEN = set("<>%&\\?/")

Tags = tuple[tuple[str, str], ...]
"""Tags as sorted (name, value) pairs: hashable, so the frozen domain values that carry them stay hashable."""


def validate_tags(tags: Any) -> dict[str, str]:
    """The tags as a plain dict once they pass Azure's limits; None is no tags. InvalidParameter names the fault."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise errors.InvalidParameter("Tags must be a map of names to values.", target="tags")
    if len(tags) > TAGS_MAX:
        raise errors.InvalidParameter(f"A resource can have at most {TAGS_MAX} tags; {len(tags)} were given.",
                                      target="tags")
    checked: dict[str, str] = {}
    for name, value in tags.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise errors.InvalidParameter("Tag names and values must be strings.", target="tags")
        if not 1 <= len(name) <= TAG_NAME_MAX or any(ch in TAG_NAME_FORBIDDEN for ch in name) \
                or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
            raise errors.InvalidParameter(
                f"The tag name '{names.shown(name)}' is not valid: 1 to {TAG_NAME_MAX} characters, none of "
                "< > % & \\ ? / or control characters.", target="tags")
        if len(value) > TAG_VALUE_MAX:
            raise errors.InvalidParameter(
                f"The value of tag '{names.shown(name)}' is longer than {TAG_VALUE_MAX} characters.", target="tags")
        checked[name] = value
    return checked


def as_pairs(tags: dict[str, str] | Iterable[tuple[str, str]] | None) -> Tags:
    """Tags as the domain keeps them on frozen values: sorted (name, value) pairs."""
    if tags is None:
        return ()
    items = tags.items() if isinstance(tags, dict) else tags
    return tuple(sorted((str(name), str(value)) for name, value in items))
