"""Secret values masked out of command lines that are kept: the audit trail and the REPL's history."""

from __future__ import annotations

import re
import shlex

SECRET_OPTIONS = re.compile(r"^--?(password|secret|token|client-secret|admin-password|key|ssh-key-value)(=.*)?$",
                            re.IGNORECASE)


def mask_secrets(command_line: str) -> str:
    """The command as typed, with the values of secret-looking options replaced by ***."""
    try:
        words = shlex.split(command_line)
    except ValueError:
        return command_line
    masked: list[str] = []
    hide_next = False
    for word in words:
        if hide_next:
            masked.append("***")
            hide_next = False
            continue
        match = SECRET_OPTIONS.match(word)
        if match:
            if match.group(2):
                masked.append(word.split("=", 1)[0] + "=***")
            else:
                masked.append(word)
                hide_next = True
            continue
        masked.append(word)
    return shlex.join(masked)
