"""Secure parameter values (`securestring`, `secureObject`): usable by the engine, never printed.

A `SecureValue` goes wherever the template sends it (a VM's adminPassword, a key's data) so the
provider that needs it can `reveal()` it, but `str`, `repr` and `format` say "***" and `json.dumps`
refuses it, so it cannot reach a log, a table, a stored deployment or an output by accident. The
functions here copy a value with every secure part masked (for printing) or dropped (for storing).
"""

from __future__ import annotations

from typing import Any

MASK = "***"


class SecureValue:
    """A value from a secure parameter (or built from one); prints as "***"."""

    __slots__ = ("_value",)

    def __init__(self, value: Any) -> None:
        self._value = value

    def reveal(self) -> Any:
        """The real value, for the provider that must use it (never for printing)."""
        return self._value

    def __repr__(self) -> str:
        return MASK

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecureValue) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("SecureValue", repr(type(self._value))))


def masked(value: Any) -> Any:
    """A copy of `value` with every secure part replaced by "***" (what a screen or a log may show)."""
    if isinstance(value, SecureValue):
        return MASK
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def without_secrets(value: Any) -> Any:
    """A copy of `value` with every secure property left out (what may be stored, as Azure omits them)."""
    if isinstance(value, dict):
        return {key: without_secrets(item) for key, item in value.items() if not isinstance(item, SecureValue)}
    if isinstance(value, list):
        return [without_secrets(item) for item in value if not isinstance(item, SecureValue)]
    return value


def revealed(value: Any) -> Any:
    """A copy of `value` with every secure part replaced by its real value (for the provider only)."""
    if isinstance(value, SecureValue):
        return revealed(value.reveal())
    if isinstance(value, dict):
        return {key: revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [revealed(item) for item in value]
    return value


def contains_secret(value: Any) -> bool:
    """True when some part of `value` came from a secure parameter."""
    if isinstance(value, SecureValue):
        return True
    if isinstance(value, dict):
        return any(contains_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_secret(item) for item in value)
    return False
