"""The audit trail: one JSON line per mutating command, from every front end.

Appends are single `write()`s to a file opened with O_APPEND under an exclusive `flock`, then
fsynced, so concurrent operators never interleave lines and an acknowledged line survives a crash.
A crash can at worst leave a partial last line, which readers skip and count. Records hold the
command as typed with secret-looking option values masked, never credentials.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterator

from ..commands.masking import mask_secrets  # noqa: F401  (the trail's masking, shared with the REPL history)
from ..domain.text import escape_control

@dataclass(frozen=True)
class AuditRecord:
    """One mutating command and how it ended."""

    time: str
    operator: str
    source_address: str | None
    backend: str
    subscription: str
    resource_group: str | None
    command: str
    outcome: str
    """What happened to the change: `success`, `failed`, `refused` (nothing was sent) or `started`
    (still running in Azure when the wait stopped)."""
    error_code: str | None = None
    role: str | None = None


def default_audit_path() -> Path:
    """Where the audit trail lives when the config does not say: the user data dir."""
    from platformdirs import user_data_path

    return user_data_path("vmss-tui", appauthor=False) / "audit.jsonl"


def append(path: Path, record: AuditRecord) -> None:
    """Append one record durably; concurrent writers are serialised by flock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(asdict(record), separators=(",", ":")) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o664)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read(path: Path) -> tuple[list[AuditRecord], int]:
    """All records, oldest first, and how many lines could not be read (a crash's partial line)."""
    records: list[AuditRecord] = []
    unreadable = 0
    try:
        raw_lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        return [], 0
    for raw in raw_lines:
        if not raw.strip():
            continue
        try:
            records.append(AuditRecord(**json.loads(raw)))
        except (ValueError, TypeError):
            unreadable += 1
    return records, unreadable


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """`--since`: an ISO date/time, or a duration back from now like 30m, 2h, 7d.

    Raises:
        ValueError: naming the accepted forms.
    """
    now = now or datetime.now(timezone.utc)
    match = re.fullmatch(r"(\d+)\s*([smhdw])", value.strip().lower())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit] * amount
        return now - timedelta(seconds=seconds)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"--since '{value}' is not a time: use an ISO date/time (2026-11-21, "
                         "2026-11-21T09:30) or a duration such as 30m, 2h, 7d") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def select(records: list[AuditRecord], *, since: datetime | None = None, user: str | None = None) -> Iterator[AuditRecord]:
    """Records at or after `since` by `user`."""
    for record in records:
        if user is not None and record.operator != user:
            continue
        if since is not None and datetime.fromisoformat(record.time) < since:
            continue
        yield record


def now_iso() -> str:
    """Record timestamps: UTC, seconds precision, ISO 8601."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class AuditTrail:
    """Records the mutating commands of one session (any front end) to the audit log."""

    def __init__(self, path: Path, *, operator: str, source_address: str | None, role: str | None,
                 describe_backend: Callable[[], tuple[str, str]]) -> None:
        """`describe_backend` gives (backend kind, subscription id); asked on the first record only."""
        self.path = path
        self.operator = operator
        self.source_address = source_address
        self.role = role
        self._describe_backend = describe_backend
        self._backend: tuple[str, str] | None = None

    def record(self, typed: str, *, exit_code: int, error: str | None, resource_group: str | None,
               outcome: str | None = None) -> str | None:
        """Append one line for a command that was run or refused; returns a warning if it could not be written.

        The outcome follows the exit code (0 success, 2 refused, else failed) unless the caller knows
        better: a change that was made before printing its result failed is `success` with the error
        code of what failed; one still running when the wait stopped is `started`.
        """
        code: str | None = None
        if exit_code != 0:
            match = re.match(r"ERROR: \(([^)]+)\)", error or "")
            code = match.group(1) if match else "Error"
        if outcome is None:
            outcome = "success" if exit_code == 0 else ("refused" if exit_code == 2 else "failed")
        if self._backend is None:
            try:
                self._backend = self._describe_backend()
            except Exception:  # noqa: BLE001 - an unreachable backend must not lose the record
                self._backend = ("unknown", "unknown")
        backend_kind, subscription = self._backend
        record = AuditRecord(time=now_iso(), operator=self.operator, source_address=self.source_address,
                             backend=backend_kind, subscription=subscription,
                             resource_group=resource_group, command=escape_control(mask_secrets(typed)), outcome=outcome,
                             error_code=code, role=self.role)
        try:
            append(self.path, record)
        except OSError as exc:
            return f"the audit trail {self.path} could not be written ({exc.strerror or exc}); this command is not in it"
        return None


CHANGING_METHODS = frozenset({"PUT", "PATCH", "DELETE", "POST"})
"""ARM requests that change something (POST is an action: start, powerOff, delete, ...)."""
_ARM_SCOPE = re.compile(r"^/subscriptions/(?P<sub>[^/]+)(?:/resourcegroups/(?P<rg>[^/]+))?", re.IGNORECASE)
_MAX_AUDITED_TARGET = 2048


def endpoint_recorder(path: Path, *, operator: str, role: str | None) -> Callable[..., None]:
    """The audit hook of `vmss-tui emulator serve`: one record per changing request.

    The operator is the client the request's token was issued to (the endpoint's token authority
    passes it), else the OS user running the server; the source address is the client's; the outcome
    is the HTTP answer's: 2xx success (an accepted long-running operation included), 5xx failed,
    any other refused (nothing changed), with the ARM error code.
    """
    import logging
    from urllib.parse import unquote, urlsplit

    log = logging.getLogger(__name__)
    server_operator = operator

    def record(method: str, target: str, status: int, body: object, client_address: str, *,
               operator: str | None = None) -> None:
        """`operator`: who the request's token names (the endpoint's token authority); default the server's user."""
        if method.upper() not in CHANGING_METHODS:
            return
        request_path = unquote(urlsplit(target).path)
        scope = _ARM_SCOPE.match(request_path)
        error = body.get("error") if isinstance(body, dict) else None
        code = error.get("code") if isinstance(error, dict) and isinstance(error.get("code"), str) else None
        outcome = "success" if status < 300 else ("failed" if status >= 500 else "refused")
        entry = AuditRecord(
            time=now_iso(), operator=escape_control(operator or server_operator), source_address=client_address,
            backend="emulator",
            subscription=escape_control(scope.group("sub")) if scope else "unknown",
            resource_group=escape_control(scope.group("rg")) if scope and scope.group("rg") else None,
            command=escape_control(f"{method.upper()} {request_path}"[:_MAX_AUDITED_TARGET]), outcome=outcome,
            error_code=escape_control(code) if code else (None if status < 300 else f"HTTP{status}"), role=role)
        try:
            append(path, entry)
        except OSError as exc:
            log.warning("the audit trail %s could not be written (%s); %s %s is not in it",
                        path, exc.strerror or exc, method, request_path)

    return record
