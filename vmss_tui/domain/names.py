"""One validator per kind of Azure name: every door (CLI, REPL, TUI, ARM endpoint) and the store use these.

Each rule is an allow-list checked with a full match (a `$` anchor also matches before a final
newline, which is how `web\\n` once passed), with Azure's lengths and Azure's error codes. The
sources of every rule are in docs/emulator-fidelity.md, "Names and values". A refusal here means
nothing was sent (`nothing_sent`), so the one-shot CLI exits 2.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInputValue, InvalidResourceGroupName, InvalidResourceName
from .sizes import IMAGES
from .text import escape_control

RESOURCE_NAME_MAX = 64
"""Scale set and VM resource names: 1-64 characters (Linux; `az` derives Windows computer names apart)."""
RESOURCE_GROUP_NAME_MAX = 90
COMPUTER_NAME_PREFIX_MAX = 15
IMAGE_REFERENCE_MAX = 1024
"""An image URN or resource id: far above any real one (resource ids of gallery versions are ~250)."""
UNIFORM_INSTANCE_ID_MAX_DIGITS = 10

_RESOURCE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_])?")
_RESOURCE_GROUP_PUNCTUATION = frozenset("_-.()")
_LETTER_OR_DIGIT = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"})
""".NET's Char.IsLetterOrDigit, which ARM uses for resource group names."""
_COMPUTER_NAME_PREFIX = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,14})?")
_URN_PART = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,127})?")
_IMAGE_ID = re.compile(r"/subscriptions/[A-Za-z0-9/._()-]+")
_UNIFORM_INSTANCE_ID = re.compile(r"[0-9]{1,10}")


def shown(value: object, limit: int = 80) -> str:
    """A value as it may appear in an error line: control and format characters escaped, long ones cut."""
    text = str(value)
    return escape_control(text[:limit]) + (f"... ({len(text)} characters)" if len(text) > limit else "")


def validate_scale_set_name(name: str) -> str:
    """1-64 ASCII letters, digits, `_ . -`; starts with a letter or digit; ends with one or `_`."""
    _check_resource_name(name, "virtualMachineScaleSets", "Virtual Machine Scale Set")
    return name


AUTOSCALE_SETTING_NAME_MAX = 260
_AUTOSCALE_SETTING_NAME = re.compile(r"[A-Za-z0-9_(](?:[A-Za-z0-9 ._()-]{0,258}[A-Za-z0-9_()-])?")


def validate_autoscale_setting_name(name: str) -> str:
    """1-260 ASCII letters, digits, spaces and `_ . - ( )`; no space or period at the end.

    Azure's rule for `Microsoft.Insights/autoscalesettings` is a deny-list (no `:<>+/&%\\?`, no
    control characters, no trailing space or period); this allow-list is inside it and holds the
    names az and the quickstart templates give (the target's name, `autoscalewad`, `cpuautoscale`).
    """
    if not isinstance(name, str) or not _AUTOSCALE_SETTING_NAME.fullmatch(name):
        raise InvalidResourceName(
            f"Autoscale setting name '{shown(name)}' is invalid. The name can be 1 to {AUTOSCALE_SETTING_NAME_MAX} "
            "characters long and contain letters, numbers, spaces, underscores, periods, hyphens and parentheses; "
            "it cannot end with a space or a period.", target="autoscalesettings")
    return name


def validate_vm_name(name: str) -> str:
    """A VM's resource name (a Flexible set's instance id): the same rule as a scale set name."""
    _check_resource_name(name, "virtualMachines", "Virtual Machine")
    return name


def _check_resource_name(name: str, resource_type: str, label: str) -> None:
    if not isinstance(name, str) or not _RESOURCE_NAME.fullmatch(name):
        raise InvalidResourceName(
            f"{label} name '{shown(name)}' is invalid. The name can be 1 to {RESOURCE_NAME_MAX} characters long. "
            "It can contain only letters, numbers, underscores, periods, and hyphens; it must start with a "
            "letter or number and end with a letter, number or underscore.",
            target=resource_type,
        )


def validate_resource_group_name(name: str) -> str:
    """1-90 letters or digits (Unicode, as .NET's IsLetterOrDigit), `_ - . ( )`; not ending in a period."""
    valid = (isinstance(name, str) and 1 <= len(name) <= RESOURCE_GROUP_NAME_MAX and not name.endswith(".")
             and all(ch in _RESOURCE_GROUP_PUNCTUATION or unicodedata.category(ch) in _LETTER_OR_DIGIT
                     for ch in name))
    if not valid:
        raise InvalidResourceGroupName(
            f"Resource group name '{shown(name)}' is invalid. It can be 1 to {RESOURCE_GROUP_NAME_MAX} characters "
            "long and can contain only letters, digits, underscores, hyphens, periods and parentheses, and it "
            "cannot end with a period.",
            target="resourceGroupName",
        )
    return name


def validate_computer_name_prefix(prefix: str, *, windows: bool = False) -> str:
    """1-15 characters: letters, digits, hyphens (and periods on Linux); Windows: not digits only."""
    valid = isinstance(prefix, str) and bool(_COMPUTER_NAME_PREFIX.fullmatch(prefix))
    if valid and windows and ("." in prefix or prefix.isdigit()):
        valid = False
    if not valid:
        rule = ("letters, digits and hyphens, not only digits" if windows
                else "letters, digits, periods and hyphens, starting with a letter or digit")
        raise InvalidInputValue(
            f"computerNamePrefix '{shown(prefix)}' is invalid: it must be 1 to {COMPUTER_NAME_PREFIX_MAX} "
            f"characters long and contain only {rule}.",
            target="computerNamePrefix",
        )
    return prefix


def validate_image_reference(image: str) -> str:
    """An `az` alias, a URN `publisher:offer:sku:version`, or an image resource id; printable and bounded."""
    if isinstance(image, str) and len(image) <= IMAGE_REFERENCE_MAX:
        if image in IMAGES:
            return image
        parts = image.split(":")
        if len(parts) == 4 and all(_URN_PART.fullmatch(part) for part in parts):
            return image
        if _IMAGE_ID.fullmatch(image):
            return image
    raise InvalidInputValue(
        f"The image '{shown(image)}' is not valid. Use an alias ({', '.join(IMAGES)}), a URN "
        "'publisher:offer:sku:version' (letters, digits, '.', '_', '-') or an image resource id.",
        target="imageReference",
    )


def validate_instance_id(instance_id: str, *, uniform: bool | None) -> str:
    """Uniform ids are decimal digits; a Flexible set's ids are VM names; None accepts either form."""
    text = instance_id if isinstance(instance_id, str) else str(instance_id)
    is_number = bool(_UNIFORM_INSTANCE_ID.fullmatch(text))
    is_vm_name = bool(_RESOURCE_NAME.fullmatch(text))
    valid = is_number if uniform else (is_vm_name if uniform is False else is_number or is_vm_name)
    if not valid:
        expected = ("a number (Uniform instance ids are decimal)" if uniform
                    else "a VM name (1-64 letters, digits, '_', '.', '-')")
        raise InvalidInputValue(f"The instance id '{shown(text)}' is not valid: expected {expected}.",
                                target="instanceIds")
    return text
