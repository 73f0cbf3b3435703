"""Completion of commands, options, option values, set names and instance ids.

Names come from the backend through `CompletionCache` (`completion_cache.py`): each list is
fetched in a background thread and kept for a short TTL, and a caller waits at most
`wait_seconds` for a fetch, so typing never blocks on a slow backend (a stale or empty list
is offered instead, and the fresh one next time). Nothing here imports a UI toolkit.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..domain.limits import MAX_LINE_CHARACTERS
from ..domain.sizes import IMAGES, REGIONS, SIZES
from .completion_cache import CompletionCache
from .parser import LINE_OPTIONS, looks_like_option
from .registry import COMMAND_INDEX, COMMANDS
from .spec import CommandSpec, ParamSpec

if TYPE_CHECKING:
    from .session import Session


@dataclass(frozen=True)
class Completion:
    """One candidate: replace the `-start_position` characters before the cursor with `text`."""

    text: str
    start_position: int = 0
    display: str = ""
    meta: str = ""


def _split(text: str) -> tuple[list[str], str]:
    """Words before the cursor and the (possibly empty) word being typed."""
    try:
        words = shlex.split(text)
        if text and not text[-1].isspace() and words:
            return words[:-1], words[-1]
        return words, ""
    except ValueError:
        words = text.split()
        if text and not text[-1].isspace() and words:
            return words[:-1], words[-1]
        return words, ""


def _all_options(spec: CommandSpec) -> list[ParamSpec]:
    return list(spec.options) + list(LINE_OPTIONS)


def _find_option(flag: str, spec: CommandSpec) -> ParamSpec | None:
    for param in _all_options(spec):
        if flag in param.flags:
            return param
    return None


def _walk(spec: CommandSpec, words: list[str]) -> tuple[list[str], ParamSpec | None, set[str], dict[str, list[str]]]:
    """Positionals so far, the option whose value is being typed (if any), flags used, option values."""
    positionals: list[str] = []
    active: ParamSpec | None = None
    used: set[str] = set()
    values: dict[str, list[str]] = {}
    for word in words:
        if looks_like_option(word):
            flag = word.partition("=")[0]
            param = _find_option(flag, spec)
            used.add(flag)
            active = param if param is not None and param.kind != "flag" and "=" not in word else None
            continue
        if active is not None:
            values.setdefault(active.dest, []).append(word)
            if not active.multiple:
                active = None
            continue
        positionals.append(word)
    return positionals, active, used, values


def _matches(candidates: list[tuple[str, str]], word: str) -> list[Completion]:
    lowered = word.lstrip("'\"").lower()
    seen: set[str] = set()
    found = []
    for text, meta in candidates:
        if text.lower().startswith(lowered) and text not in seen:
            seen.add(text)
            found.append(Completion(text=text, start_position=-len(word), display=text, meta=meta))
    return found


def _values(param: ParamSpec, session: Session, set_ref: tuple[str, str] | None, group: str | None,
            already: list[str]) -> list[tuple[str, str]]:
    source = param.completion
    if source == "choices" or (param.choices and not source):
        return [(choice, "") for choice in param.choices]
    if source == "sets":
        cache = session.completion_cache
        return [(name, rg) for rg, name in cache.sets() if group is None or rg.lower() == group.lower()]
    if source == "groups":
        return [(g, "resource group") for g in session.completion_cache.groups()]
    if source == "instances" and set_ref is not None:
        ids = session.completion_cache.instance_ids(*set_ref)
        return [(ident, power) for ident, power in ids if ident not in already]
    if source == "zones":
        return [(zone, "zone") for zone in ("1", "2", "3") if zone not in already]
    if source == "vm_sizes":
        return [(size.name, f"{size.vcpus} vCPU, {size.memory_gib:g} GiB") for size in SIZES.values()]
    if source == "images":
        return [(image, "image") for image in IMAGES]
    if source == "locations":
        return [(region, "region") for region in REGIONS]
    if source == "commands":
        return [(spec.name, spec.summary) for spec in COMMANDS]
    return []


def _resolve_set(session: Session, name: str, group: str | None) -> tuple[str, str] | None:
    for rg, set_name in session.completion_cache.sets():
        if set_name.lower() == name.lower() and (group is None or rg.lower() == group.lower()):
            return rg, set_name
    return None


def complete(text: str, session: Session) -> list[Completion]:
    """Candidates for the word at the end of `text` (the line up to the cursor)."""
    if len(text) > MAX_LINE_CHARACTERS:  # a line that long is refused when run; do not tokenize it per key
        return []
    try:
        return _complete(text, session)
    except Exception:  # noqa: BLE001 - completion must never break typing
        return []


def _complete(text: str, session: Session) -> list[Completion]:
    commands, index = COMMANDS, COMMAND_INDEX
    words, word = _split(text)
    if not words:
        return _matches([(spec.name, spec.summary) for spec in commands]
                        + [(alias, f"= {spec.name}") for spec in commands for alias in spec.aliases], word)
    phrase = " ".join(words).lower()
    if phrase not in index:  # `group <Tab>`, `autoscale rule <Tab>`: the words that can follow
        following: dict[str, str] = {}
        for key in index:
            if key.startswith(phrase + " "):
                rest = key[len(phrase) + 1:]
                head = rest.split(" ", 1)[0]
                following.setdefault(head, index[key].summary if rest == head else "...")
        if following:
            return _matches(sorted(following.items()), word)
    taken = next((count for count in range(min(3, len(words)), 0, -1)
                  if " ".join(words[:count]).lower() in index), 1)
    spec = index.get(" ".join(words[:taken]).lower())
    if spec is None:
        return []
    positionals, active, used, option_values = _walk(spec, words[taken:])
    group = (option_values.get("resource_group") or [session.resource_group])[-1]
    set_ref: tuple[str, str] | None = None
    context = session.current_set if spec.needs_set else None
    shift = 0
    if spec.needs_set:
        if positionals and (context is None or _resolve_set(session, positionals[0], group)):
            set_ref = _resolve_set(session, positionals[0], group)
        elif context is not None:
            set_ref, shift = context, 1
    if active is not None and not (active.multiple and looks_like_option(word)):
        return _matches(_values(active, session, set_ref, group, option_values.get(active.dest, [])), word)
    if looks_like_option(word) or word == "-":
        options = [p for p in _all_options(spec) if not (set(p.flags) & used) or p.multiple]
        candidates = [(flag, p.help) for p in options for flag in p.flags if flag.startswith("--") or len(p.flags) == 1]
        return _matches(candidates, word)
    spec_positionals = spec.positionals
    if not spec_positionals:
        return []
    position = len(positionals) + shift
    param = spec_positionals[min(position, len(spec_positionals) - 1)]
    if position >= len(spec_positionals) and not spec_positionals[-1].multiple:
        return []
    candidates = _values(param, session, set_ref, group, positionals)
    if context is not None and not positionals and param is not spec_positionals[0]:
        # In `use` context the set may still be named explicitly: offer both.
        candidates = candidates + _values(spec_positionals[0], session, None, group, [])
    return _matches(candidates, word)


__all__ = ["Completion", "CompletionCache", "complete"]
