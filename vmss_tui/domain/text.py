"""Text from data made safe to print: control and format characters shown as visible escapes.

Names, image references, tags, error messages and audited command lines come from the store,
from Azure or from other users. Printed raw, an ESC sequence clears the operator's screen or
sets the window title, a newline forges a table row, and a bidi override makes a name read as
another. Every renderer (az-style tables, tsv, the TUI, the audit table, error lines) passes such
text through `escape_control`; JSON output uses `escape_json_text`. See docs/emulator-fidelity.md,
"Control characters", for which characters and why.
"""

from __future__ import annotations

import re

_C0 = "\x00-\x1f"  # C0, tab and newline included: one value, one cell, one line
UNSAFE_CHARACTERS = _C0 + (
    "\x7f-\x9f"  # DEL and C1 (U+009B is a one-byte CSI to terminals that honour C1)
    "\u061c\u200b\u200e\u200f"  # Arabic letter mark, zero-width space, LRM, RLM: invisible
    "\u2028-\u202e"  # line/paragraph separators; bidi embeddings and overrides (Trojan Source)
    "\u2060\u2066-\u2069"  # word joiner; bidi isolates
    "\ufeff"  # zero-width no-break space (BOM)
    "\ud800-\udfff"  # lone surrogates: not encodable, a printed one would crash the writer
)
"""A regex character class of everything `escape_control` rewrites.

Not included: ZWJ/ZWNJ (U+200C/U+200D) and the emoji tag characters, which real text (Persian,
emoji sequences in tags) needs and which change no terminal state.
"""

_UNSAFE = re.compile(f"[{UNSAFE_CHARACTERS}]")
_JSON_UNSAFE = re.compile(f"[{UNSAFE_CHARACTERS.removeprefix(_C0)}]")
"""The same set without C0: `json.dumps` escapes C0 inside strings, and outside them it is layout."""
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def has_control(text: str) -> bool:
    """True when `text` holds a character `escape_control` would rewrite."""
    return _UNSAFE.search(text) is not None


def escape_control(text: str) -> str:
    """`text` with every control, bidi and invisible format character as a visible escape.

    `\\x1b[2J` stays on screen as the seven characters `\\x1b[2J`, a newline as `\\n`, a
    right-to-left override as `\\u202e`. Clean text (the common case) is returned as it is, after
    one regex search. Backslashes are not doubled: this is for reading, not for round trips.
    """
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape_one, text)


def escape_json_text(json_text: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with unsafe characters as `\\uXXXX`.

    `json.dumps` escapes C0 itself but leaves DEL, C1 and format characters raw when
    `ensure_ascii=False`; inside JSON strings `\\uXXXX` is the same value, so the output stays
    valid JSON that parses to the same data.
    """
    if _JSON_UNSAFE.search(json_text) is None:
        return json_text
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", json_text)
