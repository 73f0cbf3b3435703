"""The emulated instance console that `ssh` opens on an emulated instance (issue 14).

No SSH server runs for an emulated instance, so `ssh web 0` lands here instead: a prompt such as
`azureuser@web000002:~$` over the real terminal, with the few commands an operator practising
"SSH in, load it, watch autoscale act" needs. Everything it shows comes from the emulator (the
instance, its private address, the emulated clock, the load model) and the only thing it changes is
this instance's CPU override in the load model (`stress`). It reaches nothing: no socket, no
subprocess, no file. Text from the store or the keyboard is printed with control characters escaped.

The terminal is injected (`Terminal`): `StdioTerminal` is the process's own, tests pass a scripted one.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Protocol

from ..domain.autoscale.load import Load, Pattern, parse_short_duration
from ..domain.errors import AzureError
from ..domain.models import Instance, PowerState, ScaleSet
from ..domain.text import escape_control


class Terminal(Protocol):
    """What the console needs of a terminal: a line with a prompt, output, and waiting."""

    def read_line(self, prompt: str) -> str:
        """The next line typed; EOFError at Ctrl-D, KeyboardInterrupt at Ctrl-C."""
        ...

    def write(self, text: str) -> None:
        ...

    def sleep(self, seconds: float) -> None:
        """Wait (a foreground `stress`); Ctrl-C interrupts it with KeyboardInterrupt."""
        ...


class StdioTerminal:
    """The process's own terminal: `input()` (line editing when readline is loaded) and stdout."""

    def read_line(self, prompt: str) -> str:
        return input(prompt)

    def write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@contextmanager
def ctrl_c_interrupts() -> Iterator[None]:
    """While the terminal is lent, Ctrl-C raises KeyboardInterrupt here, as in any shell.

    Under the TUI the event loop's runner owns SIGINT (asyncio's would cancel the app's main task, and the
    app would quit once it resumes); the handler it had comes back afterwards. Signals belong to the main
    thread: elsewhere nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


COMMAND_NOT_FOUND = 127
"""bash's exit status for a command it cannot find (the console keeps it as `$?` would)."""

STRESS_TICK_SECONDS = 1.0
"""How often a foreground `stress` repaints its status line (real seconds)."""


@dataclass
class ConsoleContext:
    """What the console knows of its instance, read once when the session opens."""

    backend: Any
    """The emulator backend: LoadSimulation (the load model) and EmulatedClock (its clock)."""
    scale_set: ScaleSet
    instance: Instance
    user: str
    endpoint: str
    """`ip:port` the session came in through (NAT frontend or public IP), for the banner."""
    read_only_reason: str | None = None
    """Set when the session may not change anything: `stress` is then refused, saying why."""
    record: Callable[[str, int, str | None], None] | None = None
    """Called with (the console line, exit code, error) for each change `stress` makes (the audit trail)."""
    prefix_length: int | None = None
    """The subnet's prefix length for `ip addr` (None: not known, shown without one)."""
    history: list[str] = field(default_factory=list)


class EmulatedConsole:
    """One console session on one emulated instance."""

    def __init__(self, context: ConsoleContext, terminal: Terminal) -> None:
        self.ctx = context
        self.term = terminal
        self.last_status = 0
        self.closed_by_remote = False
        self._commands: dict[str, Callable[[list[str]], int]] = {
            "hostname": self._hostname, "whoami": self._whoami, "id": self._id, "date": self._date,
            "uptime": self._uptime, "ip": self._ip, "ifconfig": self._ifconfig, "stress": self._stress,
            "load": self._load, "top": self._load, "ps": self._load, "help": self._help, "echo": self._echo,
            "clear": self._clear, "pwd": self._pwd,
        }

    # --- the session ------------------------------------------------------------------------

    @property
    def hostname(self) -> str:
        return escape_control(self.ctx.instance.computer_name or self.ctx.instance.name)

    @property
    def prompt(self) -> str:
        return f"{escape_control(self.ctx.user)}@{self.hostname}:~$ "

    def run(self) -> int:
        """Greet, read commands until exit/logout/Ctrl-D; the exit status is the last command's (as ssh's)."""
        self._banner()
        while True:
            try:
                line = self.term.read_line(self.prompt)
            except KeyboardInterrupt:
                self.term.write("\n")  # the terminal echoed ^C itself
                self.last_status = 130
                continue
            except EOFError:
                self.term.write("logout\n")
                break
            if not self._still_running():
                self.term.write(f"Connection to {escape_control(self.ctx.endpoint.rpartition(':')[0])} closed by "
                                f"remote host.\n")
                self.closed_by_remote = True
                return 255
            words = line.split()
            if not words:
                continue
            if words[0] in ("exit", "logout"):
                status = _exit_status(words[1:], self.last_status)
                self.term.write("logout\n")
                self.last_status = status
                break
            try:
                self.last_status = self.execute(words)
            except KeyboardInterrupt:
                self.term.write("\n")  # the terminal echoed ^C itself
                self.last_status = 130
        self.term.write(f"Connection to {escape_control(self.ctx.endpoint.rpartition(':')[0])} closed.\n")
        return self.last_status

    def execute(self, words: list[str]) -> int:
        """Run one command line (already split); returns its exit status."""
        handler = self._commands.get(words[0])
        if handler is None:
            self.term.write(f"bash: {escape_control(words[0])}: command not found\n")
            return COMMAND_NOT_FOUND
        try:
            return handler(words[1:])
        except AzureError as error:  # the emulator refused (e.g. the store is read-only): one line, no traceback
            self.term.write(f"{escape_control(words[0])}: {escape_control(error.message)}\n")
            return 1

    def _banner(self) -> None:
        instance = self.ctx.instance
        host = escape_control(self.ctx.endpoint)
        self.term.write(
            f"Connected to {self.hostname} (instance {escape_control(instance.instance_id)} of "
            f"{escape_control(self.ctx.scale_set.name)}) through {host} as {escape_control(self.ctx.user)}.\n"
            "This is the emulator's instance console: no SSH server runs and nothing here reaches a network, "
            "a process or a file.\n"
            "Type help for its commands; exit, logout or Ctrl-D leaves.\n\n")

    def _still_running(self) -> bool:
        """Whether the instance still runs (someone may stop, deallocate or delete it meanwhile)."""
        instance = self.ctx.instance
        try:
            current = self.ctx.backend.get_instance(instance.resource_group, instance.scale_set_name,
                                                    instance.instance_id)
        except AzureError:
            return False
        self.ctx.instance = current
        return current.power_state is PowerState.RUNNING

    # --- commands ---------------------------------------------------------------------------

    def _hostname(self, args: list[str]) -> int:
        if args and args[0] in ("-i", "-I", "--ip-address", "--all-ip-addresses"):
            self.term.write(f"{escape_control(self.ctx.instance.private_ip or '')}\n")
        else:
            self.term.write(f"{self.hostname}\n")
        return 0

    def _whoami(self, args: list[str]) -> int:
        self.term.write(f"{escape_control(self.ctx.user)}\n")
        return 0

    def _id(self, args: list[str]) -> int:
        user = escape_control(self.ctx.user)
        self.term.write(f"uid=1000({user}) gid=1000({user}) groups=1000({user}),27(sudo)\n")
        return 0

    def _pwd(self, args: list[str]) -> int:
        self.term.write(f"/home/{escape_control(self.ctx.user)}\n")
        return 0

    def _echo(self, args: list[str]) -> int:
        words = [str(self.last_status) if word == "$?" else word for word in args]
        self.term.write(escape_control(" ".join(words)) + "\n")
        return 0

    def _clear(self, args: list[str]) -> int:
        self.term.write("\x1b[H\x1b[2J")
        return 0

    def _now(self) -> datetime:
        return self.ctx.backend.clock_now()

    def _date(self, args: list[str]) -> int:
        self.term.write(self._now().astimezone(timezone.utc).strftime("%a %b %e %H:%M:%S UTC %Y") + "\n")
        return 0

    def _uptime(self, args: list[str]) -> int:
        now = self._now()
        seconds = max(0.0, (now - self.ctx.instance.time_created).total_seconds())
        cpu = self._cpu(now.timestamp())
        average = f"{cpu / 100:.2f}"
        if args and args[0] in ("-p", "--pretty"):
            self.term.write(f"up {_pretty_duration(seconds)}\n")
            return 0
        self.term.write(f" {now.astimezone(timezone.utc):%H:%M:%S} up {_uptime_text(seconds)},  1 user,  "
                        f"load average: {average}, {average}, {average}\n")
        return 0

    def _ip(self, args: list[str]) -> int:
        if args and args[0] not in ("a", "addr", "address", "-4", "-br", "-brief"):
            self.term.write(f'Object "{escape_control(args[0])}" is unknown or not emulated; try "ip addr".\n')
            return 255
        address = escape_control(self.ctx.instance.private_ip or "")
        if not address:
            self.term.write("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n"
                            "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500\n    (no IPv4 address)\n")
            return 0
        cidr = f"{address}/{self.ctx.prefix_length}" if self.ctx.prefix_length is not None else address
        self.term.write("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\n"
                        "    inet 127.0.0.1/8 scope host lo\n"
                        "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP\n"
                        f"    inet {cidr} scope global eth0\n")
        return 0

    def _ifconfig(self, args: list[str]) -> int:
        address = escape_control(self.ctx.instance.private_ip or "")
        mask = _netmask(self.ctx.prefix_length)
        inet = f"        inet {address}" + (f"  netmask {mask}" if mask else "") + "\n" if address else ""
        self.term.write("eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n" + inet + "\n"
                        "lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n")
        return 0

    def _help(self, args: list[str]) -> int:
        self.term.write(
            "Commands of the emulated console:\n"
            "  hostname [-I]                  the instance's computer name (-I: its private address)\n"
            "  ip addr | ifconfig             its network interface and private address\n"
            "  uptime [-p] | date             time since it was created, on the emulator's clock\n"
            "  whoami | id | pwd              the admin user of the scale set's VM profile\n"
            "  stress --cpu PERCENT [--for DURATION]\n"
            "                                 hold this instance's CPU at PERCENT in the load model, which\n"
            "                                 autoscale reads; --for 10m ends it after 10 emulated minutes and\n"
            "                                 returns at once, without it stress runs until Ctrl-C\n"
            "  stress --stop                  end this instance's stress now\n"
            "  load | top | ps                the CPU this instance reports now, and why\n"
            "  exit | logout | Ctrl-D         leave\n")
        return 0

    # --- load -------------------------------------------------------------------------------

    def _instance_key(self) -> tuple[str, str, str]:
        instance = self.ctx.instance
        return instance.resource_group, instance.scale_set_name, instance.instance_id

    def _load_now(self) -> Load:
        group, name, _ = self._instance_key()
        return self.ctx.backend.get_load(group, name)

    def _cpu(self, at: float) -> float:
        return self._load_now().cpu(self.ctx.instance.instance_id, at)

    def _load(self, args: list[str]) -> int:
        now = self._now().timestamp()
        load = self._load_now()
        instance_id = self.ctx.instance.instance_id
        override = load.overrides.get(instance_id)
        cpu = load.cpu(instance_id, now)
        if override is not None and override.active(now):
            why = f"stress: {override.describe()}" + (f", until {_clock_time(override.until)}" if override.until else
                                                      ", until stopped")
        else:
            pattern = load.pattern_at(now)
            why = f"the set's load: {pattern.describe()}" if pattern is not None else "no load set"
        spike = [s for s in load.spikes if s.active(now)]
        if spike:
            why += f"; a spike of {spike[-1].level:g} % is on"
        self.term.write(f"%Cpu(s): {cpu:5.1f} us  ({escape_control(why)})\n")
        return 0

    def _stress(self, args: list[str]) -> int:
        try:
            request = _parse_stress(args)
        except ValueError as error:
            self.term.write(f"stress: FAIL: {error}\nusage: stress --cpu PERCENT [--for DURATION] | stress --stop\n")
            return 1
        if self.ctx.read_only_reason is not None:
            self.term.write(f"stress: refused: this session is read-only ({escape_control(self.ctx.read_only_reason)}); "
                            "the load was not changed.\n")
            return 1
        typed = "stress " + " ".join(args)
        if request.stop:
            had = self._set_override(None)
            self._record(typed)
            self.term.write("stress: info: stopped; this instance runs the set's load again.\n" if had else
                            "stress: info: nothing to stop on this instance.\n")
            return 0
        assert request.cpu is not None
        now = self._now().timestamp()
        until = now + request.seconds if request.seconds else 0.0
        self._set_override(Pattern("steady", request.cpu, since=now, until=until))
        self._record(typed)
        if request.seconds:
            self.term.write(f"stress: info: holding {request.cpu:g} % CPU on {self.hostname} for "
                            f"{_pretty_duration(request.seconds)} of emulated time (until {_clock_time(until)}); "
                            "it runs on after you log out. stress --stop ends it sooner.\n")
            return 0
        self.term.write(f"stress: info: holding {request.cpu:g} % CPU on {self.hostname}; Ctrl-C stops it.\n")
        try:
            while True:
                self.term.sleep(STRESS_TICK_SECONDS)
        except KeyboardInterrupt:
            self._set_override(None)
            self._record("stress --stop (Ctrl-C)")
            self.term.write("\nstress: info: stopped; this instance runs the set's load again.\n")
            return 130

    def _set_override(self, pattern: Pattern | None) -> bool:
        """Store this instance's override (None: remove it); returns whether one was there before."""
        group, name, instance_id = self._instance_key()
        had: list[bool] = []

        def change(load: Load, now: float) -> Load:
            had.append(instance_id in load.overrides)
            return load.with_override(instance_id, pattern)

        self.ctx.backend.change_load(group, name, change)
        return bool(had and had[-1])

    def _record(self, typed: str) -> None:
        if self.ctx.record is not None:
            self.ctx.record(typed, 0, None)


@dataclass(frozen=True)
class StressRequest:
    cpu: float | None = None
    seconds: float = 0.0
    stop: bool = False


def _parse_stress(args: list[str]) -> StressRequest:
    """`--cpu PERCENT [--for DURATION]` or `--stop`; a plain number of seconds is taken as `--timeout` takes it."""
    cpu: float | None = None
    seconds = 0.0
    stop = False
    words = list(args)
    while words:
        word = words.pop(0)
        flag, equals, inline = word.partition("=")
        if flag in ("--stop", "-s"):
            stop = True
            continue
        if flag not in ("--cpu", "-c", "--for", "--timeout", "-t"):
            raise ValueError(f"unknown option '{escape_control(word)}'")
        if equals:
            value = inline
        elif words:
            value = words.pop(0)
        else:
            raise ValueError(f"{flag} needs a value")
        if flag in ("--cpu", "-c"):
            try:
                cpu = float(value.rstrip("%"))
            except ValueError:
                raise ValueError(f"--cpu takes a percentage 0-100, not '{escape_control(value)}'") from None
            if not 0 <= cpu <= 100:
                raise ValueError(f"--cpu takes a percentage 0-100, not {cpu:g}")
        else:
            text = value + "s" if value.replace(".", "", 1).isdigit() else value
            try:
                seconds = parse_short_duration(text)
            except AzureError:
                raise ValueError(f"{flag} takes a duration such as 90s, 10m or 2h, "
                                 f"not '{escape_control(value)}'") from None
            if seconds <= 0:
                raise ValueError(f"{flag} must be longer than zero")
    if stop and (cpu is not None or seconds):
        raise ValueError("--stop takes no other option")
    if not stop and cpu is None:
        raise ValueError("say how much CPU: --cpu PERCENT")
    return StressRequest(cpu, seconds, stop)


def _exit_status(args: list[str], last: int) -> int:
    if args and args[0].isdigit():
        return int(args[0]) % 256
    return last


def _uptime_text(seconds: float) -> str:
    """`uptime`'s spelling: `3 min`, `2:05`, `4 days,  2:05`."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    clock = f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min"
    if days:
        return f"{days} day{'s' if days != 1 else ''}, {clock}"
    return clock


def _pretty_duration(seconds: float) -> str:
    whole = int(round(seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
             if n]
    if not parts:
        parts = [f"{secs} second{'s' if secs != 1 else ''}"]
    return ", ".join(parts)


def _clock_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%H:%M:%S UTC")


def _netmask(prefix_length: int | None) -> str:
    if prefix_length is None:
        return ""
    bits = (0xFFFFFFFF << (32 - prefix_length)) & 0xFFFFFFFF
    return ".".join(str((bits >> shift) & 0xFF) for shift in (24, 16, 8, 0))


__all__ = ["ConsoleContext", "EmulatedConsole", "StdioTerminal", "Terminal", "ctrl_c_interrupts"]
