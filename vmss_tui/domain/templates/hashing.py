"""ARM's deterministic name functions: `uniqueString` and `guid`, bit for bit as Azure computes them.

`uniqueString(a, b, ...)`: the arguments joined with '-', UTF-8 encoded, hashed with the 64-bit
MurmurHash variant of Microsoft's ResourceStack library (two 32-bit lanes with MurmurHash3 x86
constants; seed 0), and the 64-bit result written as 13 base-32 characters (alphabet a-z2-7, five bits
at a time from the top). `guid(a, b, ...)`: a version-5 (SHA-1, name-based) UUID of the arguments
joined with '-' in the namespace 11fb06fb-712d-4ddd-98c7-e71bbd588830. Known input/output pairs that
pin both down are in tests/templates/test_hashing.py with their sources.
"""

from __future__ import annotations

import uuid

_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF
_C1 = 0x239B961B
_C2 = 0xAB0E9789
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
ARM_GUID_NAMESPACE = uuid.UUID("11fb06fb-712d-4ddd-98c7-e71bbd588830")


def _rotate_left(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK32


def _final_mix(value: int) -> int:
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & _MASK32
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & _MASK32
    return value ^ (value >> 16)


def _lane_one(block: int) -> int:
    return (_rotate_left((block * _C1) & _MASK32, 15) * _C2) & _MASK32


def _lane_two(block: int) -> int:
    return (_rotate_left((block * _C2) & _MASK32, 17) * _C1) & _MASK32


def murmur_hash64(data: bytes, seed: int = 0) -> int:
    """The 64-bit hash ARM's uniqueString is built on (8-byte blocks as two little-endian lanes)."""
    first = second = seed & _MASK32
    length = len(data)
    whole = length - length % 8
    for offset in range(0, whole, 8):
        first ^= _lane_one(int.from_bytes(data[offset:offset + 4], "little"))
        first = (((_rotate_left(first, 19) + second) & _MASK32) * 5 + 0x561CCD1B) & _MASK32
        second ^= _lane_two(int.from_bytes(data[offset + 4:offset + 8], "little"))
        second = (((_rotate_left(second, 13) + first) & _MASK32) * 5 + 0x0BCAA747) & _MASK32
    rest = data[whole:]
    if rest:
        first ^= _lane_one(int.from_bytes(rest[:4], "little"))
        if len(rest) > 4:
            second ^= _lane_two(int.from_bytes(rest[4:], "little"))
    first ^= length
    second ^= length
    first = (first + second) & _MASK32
    second = (second + first) & _MASK32
    first = _final_mix(first)
    second = _final_mix(second)
    first = (first + second) & _MASK32
    second = (second + first) & _MASK32
    return ((second << 32) | first) & _MASK64


def unique_string(*parts: str) -> str:
    """ARM's `uniqueString(...)`: 13 characters, the same as Azure gives for the same strings."""
    if not parts:
        raise ValueError("uniqueString needs at least one string")
    value = murmur_hash64("-".join(parts).encode("utf-8"))
    characters = []
    for _ in range(13):
        characters.append(_BASE32[value >> 59])
        value = (value << 5) & _MASK64
    return "".join(characters)


def arm_guid(*parts: str) -> str:
    """ARM's `guid(...)`: a name-based (v5) UUID in ARM's namespace, lower case with hyphens."""
    if not parts:
        raise ValueError("guid needs at least one string")
    return str(uuid.uuid5(ARM_GUID_NAMESPACE, "-".join(parts)))
