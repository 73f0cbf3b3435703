"""The `vmss-tui` entry point: TUI, REPL (`shell`), the emulator's ARM server, or one command.

    vmss-tui                      open the TUI
    vmss-tui shell                open the REPL (reads commands from a pipe when stdin is not a terminal)
    vmss-tui emulator serve ...   serve the emulator over HTTPS as an ARM endpoint
    vmss-tui emulator quota|reset the emulator's vCPU quotas; start the practice estate over
    vmss-tui audit ...            the audit trail of mutating commands
    vmss-tui ssh-config ...       the sshd_config block for a bastion; ssh-console is its ForceCommand
    vmss-tui <command> ...        run one command and exit

Global options go before or after the command: --db PATH (env VMSS_TUI_DB), --backend
emulator|azure, --speed instant|fast|real (env VMSS_TUI_SPEED), -g/--resource-group,
--subscription, --read-only, -o/--output, --query, --no-wait, --yes, --config PATH,
--theme NAME, --no-mouse.

Exit codes: 0 success; 1 the operation or Azure failed (or an internal error); 2 the command
line was not acceptable and nothing was sent (usage errors, --read-only refusals, a
destructive command without --yes when there is no terminal to ask on).

Output defaults to a table when stdout is a terminal and to JSON otherwise, so scripts get
JSON without asking. Errors are one stderr line `ERROR: (Code) message`; a traceback appears
only with VMSS_TUI_DEBUG=1.

This module stays lean: Textual, prompt_toolkit and the Azure SDK are imported only on the
paths that need them, so a one-shot command starts fast.
"""

from __future__ import annotations

import os
import sys

from . import compile_cache

compile_cache.install()  # before the first dataclass is made (this module's own, the domain's, Textual's)

from dataclasses import dataclass, field  # noqa: E402
from typing import Any, TextIO  # noqa: E402

from .domain.text import escape_control  # noqa: E402

USAGE = """\
usage: vmss-tui [global options] [command] [arguments]

  vmss-tui                     open the TUI
  vmss-tui shell               interactive shell (REPL)
  vmss-tui emulator serve ...  serve the emulator as an ARM endpoint
  vmss-tui emulator quota [--location L] [--set FAMILY=VCPUS]   the emulator's vCPU quotas
  vmss-tui emulator reset [--yes]                               start the emulator store over
  vmss-tui emulator check [--repair [--discard RG/SET|KEY]]     find (and mend) damage in the store
  vmss-tui emulator clock [show|advance 15m|set ISO-TIME]       the emulated clock (every process reads it)
  vmss-tui emulator az-login [--az PATH]                        sign the real az in to a running serve
  vmss-tui emulator az ARGS...                                  run the real az against it (signs in first)
  vmss-tui emulator approve CODE                                approve `az login --use-device-code` as you
  vmss-tui audit [--since 2h|DATE] [--user NAME]                the audit trail
  vmss-tui ssh-config [--groups a,b] [--console-config PATH]    sshd_config block for a bastion
  vmss-tui ssh-console         the bastion's ForceCommand (TUI, remote command, or a pipe)
  vmss-tui <command> ...       run one command (vmss-tui help lists them)

global options (before or after the command):
  --db PATH            emulator store directory (env VMSS_TUI_DB; default: seeded practice store)
  --backend NAME       emulator (default) or azure
  --speed SPEED        emulator speed: instant, fast or real (env VMSS_TUI_SPEED)
  --subscription ID    Azure subscription (env AZURE_SUBSCRIPTION_ID; default: `az account show`)
  --auth KIND          Azure sign-in: default, cli (az login), env, device, emulator
  --base-url URL       ARM endpoint (e.g. a `vmss-tui emulator serve` address)
  --ca-bundle PATH     CA bundle to trust for --base-url
  -g, --resource-group GROUP
  --read-only          refuse every command that changes something
  -o, --output FORMAT  table (default on a terminal), json (default in a pipe), jsonc, tsv, yaml, none
  --query JMESPATH     filter the JSON result before formatting
  --no-wait            do not wait for long operations
  --yes, -y            do not ask for confirmation
  --config PATH        config file (default: the user config dir's vmss-tui/config.toml)
  --theme NAME         TUI theme
  --no-mouse           TUI without mouse support
  --version            print the version

exit codes: 0 ok, 1 operation failed, 2 usage error (nothing sent)"""

_VALUE_OPTIONS = {
    "--db": "db", "--backend": "backend", "--speed": "speed", "--subscription": "subscription",
    "--config": "config", "--theme": "theme", "--auth": "auth", "--base-url": "base_url",
    "--ca-bundle": "ca_bundle",
}
AUTH_CHOICES = ("default", "cli", "env", "device", "emulator")
_FLAG_OPTIONS = {"--read-only": "read_only", "--no-mouse": "no_mouse"}
_LINE_VALUE_OPTIONS = {"-o": "output", "--output": "output", "--query": "query", "-g": "resource_group",
                       "--resource-group": "resource_group"}
_LINE_FLAG_OPTIONS = {"--yes": "yes", "-y": "yes", "--no-wait": "no_wait"}
_INFO_OPTIONS = {"-h": "help", "--help": "help", "--version": "version"}

MAX_ARGV_CHARACTERS = 16384
"""The longest one-shot command line (all arguments together) the CLI reads; like a REPL line."""


@dataclass(frozen=True)
class GlobalOption:
    """One global option of the command line, as `split_globals` reads it."""

    key: str
    """Where its value lands in `GlobalOptions.values` (what the SSH allow-list names)."""
    takes_value: bool
    line_option: bool
    """A per-command option (-o, --query, ...): global only before the command word."""
    info: bool = False
    """--help / --version: answered without a backend."""


def _global_table() -> dict[str, GlobalOption]:
    table: dict[str, GlobalOption] = {}
    table.update({flag: GlobalOption(key, True, False) for flag, key in _VALUE_OPTIONS.items()})
    table.update({flag: GlobalOption(key, False, False) for flag, key in _FLAG_OPTIONS.items()})
    table.update({flag: GlobalOption(key, True, True) for flag, key in _LINE_VALUE_OPTIONS.items()})
    table.update({flag: GlobalOption(key, False, True) for flag, key in _LINE_FLAG_OPTIONS.items()})
    table.update({flag: GlobalOption(key, False, True, info=True) for flag, key in _INFO_OPTIONS.items()})
    return table


GLOBAL_OPTIONS: dict[str, GlobalOption] = _global_table()
"""Every global option by spelling: the one table `split_globals` reads (and the SSH walk tests)."""


class CliUsageError(Exception):
    """A global option the CLI cannot accept."""


@dataclass
class GlobalOptions:
    """Options that choose the backend and the session's defaults."""

    values: dict[str, Any] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    """The command and its arguments, global options removed."""
    spelled: dict[str, str] = field(default_factory=dict)
    """How each key of `values` was typed (`-o` or `--output`), for error messages."""


def split_globals(argv: list[str]) -> GlobalOptions:
    """Take global options out of argv wherever they are; line options only before the command.

    Line options (-o, --query, -g, --yes, --no-wait) after the command stay in the command
    words, where the command parser reads them exactly as the REPL does. Every option read is
    one of `GLOBAL_OPTIONS`; `spelled` keeps how each key was typed, for error messages.
    """
    found = GlobalOptions()
    index = 0
    seen_command = False
    while index < len(argv):
        token = argv[index]
        index += 1
        if seen_command and found.command[:2] in (["emulator", "serve"], ["emulator", "az"]):
            found.command.append(token)
            continue
        if seen_command and token == "--":  # the rest belongs to the command (`ssh web 0 -- -v`)
            found.command += argv[index - 1:]
            break
        flag, has_inline, inline = token.partition("=")
        option = GLOBAL_OPTIONS.get(flag) if has_inline else GLOBAL_OPTIONS.get(token)
        if option is not None and (seen_command and option.line_option):
            option = None
        if option is not None and option.takes_value:
            if has_inline:
                found.values[option.key] = inline
            elif index < len(argv) and not (argv[index].startswith("--") and len(argv[index]) > 2):
                found.values[option.key] = argv[index]
                index += 1
            else:
                raise CliUsageError(f"{flag}: expected a value")
            found.spelled[option.key] = flag
            continue
        if option is not None and not has_inline:
            found.values[option.key] = True
            found.spelled[option.key] = token
            continue
        if option is not None:
            raise CliUsageError(f"{flag}: takes no value")
        if not seen_command and token.startswith("-") and token != "-":
            raise CliUsageError(f"unknown global option '{escape_control(token)}' (vmss-tui --help lists them)")
        seen_command = True
        found.command.append(token)
    return found


def _choose(values: dict[str, Any], key: str, env: str | None, configured: Any, choices: tuple[str, ...] = (),
            ) -> Any:
    value = values.get(key)
    if value is None and env:
        value = os.environ.get(env) or None
    if value is None:
        value = configured
    if value is not None and choices and value not in choices:
        raise CliUsageError(f"--{key.replace('_', '-')}: '{value}' is not one of: {', '.join(choices)}")
    return value


@dataclass
class Settings:
    """Everything resolved from options, environment and config file."""

    backend: str
    backend_options: dict[str, Any]
    resource_group: str | None
    output: str | None
    query: str | None
    yes: bool
    no_wait: bool
    read_only: bool
    theme: str | None
    mouse: bool
    config: Any
    role: str = "operator"
    """From the config's [roles]; a viewer is read-only everywhere."""
    operator: Any = None


def resolve_settings(options: GlobalOptions) -> Settings:
    """Combine command line > environment > config file > defaults."""
    from .config import BACKENDS, OUTPUTS, SPEEDS, load_config

    values = options.values
    config = load_config(values.get("config"))
    backend = _choose(values, "backend", None, config.backend, BACKENDS)
    backend_options: dict[str, Any] = {}
    if backend == "emulator":
        db = _choose(values, "db", "VMSS_TUI_DB", config.db)
        backend_options["db"] = db
        speed = _choose(values, "speed", "VMSS_TUI_SPEED", config.speed, SPEEDS)
        if speed is not None:
            backend_options["speed"] = speed
    else:
        subscription = _choose(values, "subscription", None, config.subscription)
        if subscription:
            backend_options["subscription"] = subscription
        auth = _choose(values, "auth", "VMSS_TUI_AZURE_AUTH", None, AUTH_CHOICES)
        if auth:
            backend_options["auth"] = auth
        if values.get("base_url"):
            backend_options["base_url"] = values["base_url"]
        if values.get("ca_bundle"):
            backend_options["connection_verify"] = values["ca_bundle"]
    output = _choose(values, "output", None, None, OUTPUTS)
    from .admin.identity import VIEWER, current_operator, resolve_role

    operator = current_operator(with_groups=bool(config.roles and config.roles.get("groups")))
    role = resolve_role(operator, config.roles)
    return Settings(
        backend=backend, backend_options=backend_options,
        resource_group=values.get("resource_group") or config.resource_group,
        output=output, query=values.get("query"), yes=bool(values.get("yes")),
        no_wait=bool(values.get("no_wait")), read_only=bool(values.get("read_only")) or role == VIEWER,
        theme=values.get("theme") or config.theme,
        mouse=config.mouse and not values.get("no_mouse"), config=config, role=role, operator=operator,
    )


def audit_trail(settings: Settings, backend: Any) -> Any:
    """The audit trail every front end records mutating commands to."""
    from .admin.audit import AuditTrail
    from .admin.commands import audit_path

    def describe() -> tuple[str, str]:
        info = backend.info()
        return info.kind, info.subscription_id

    return AuditTrail(audit_path(settings.config), operator=settings.operator.user,
                      source_address=settings.operator.source_address, role=settings.role,
                      describe_backend=describe)


def open_session(settings: Settings, *, interactive_stdin: bool, stderr: TextIO) -> Any:
    """Open the backend and build a command Session for one-shot use or the REPL."""
    from .backends import open_backend
    from .commands import Session

    backend = open_backend(settings.backend, **settings.backend_options)
    stdout_tty = sys.stdout.isatty()
    default_output = (settings.config.output or "table") if stdout_tty else "json"
    session = Session(
        backend, resource_group=settings.resource_group, output=settings.output or default_output,
        query=settings.query, yes=settings.yes, read_only=settings.read_only, no_wait=settings.no_wait,
        confirm=make_tty_confirm(stderr) if interactive_stdin and stderr.isatty() else None,
        progress=ProgressLine(stderr) if stderr.isatty() else None,
    )
    session.color = stdout_tty and not os.environ.get("NO_COLOR")
    session.terminal = ProcessTerminal()  # `ssh` takes over this process's terminal (the TUI lends none)
    attach_console(settings, session, backend)
    return session


class ProcessTerminal:
    """This process's own terminal, which `ssh` takes over: `commands.console.StdioTerminal`, imported
    when `ssh` first uses it (the console module is a tenth of a one-shot start that never needs it)."""

    def __init__(self) -> None:
        self._terminal: Any = None

    def _opened(self) -> Any:
        if self._terminal is None:
            from .commands.console import StdioTerminal

            self._terminal = StdioTerminal()
        return self._terminal

    def read_line(self, prompt: str) -> str:
        return self._opened().read_line(prompt)  # type: ignore[no-any-return]

    def write(self, text: str) -> None:
        self._opened().write(text)

    def sleep(self, seconds: float) -> None:
        self._opened().sleep(seconds)


def attach_console(settings: Settings, session: Any, backend: Any) -> None:
    """What every front end's session gets: the audit trail, and why it is read-only."""
    session.audit = audit_trail(settings, backend)
    from .config import production_name

    session.production_check = lambda: production_name(settings.config, backend)
    if settings.role == "viewer":
        session.read_only_reason = f"{settings.operator.user} has the viewer role"


def make_tty_confirm(stderr: TextIO) -> Any:
    """A confirm callback asking on the terminal: `text` then `Proceed? [y/N]`."""
    def confirm(text: str) -> bool:
        stderr.write(text + "\nProceed? [y/N] ")
        stderr.flush()
        try:
            answer = sys.stdin.readline()
        except KeyboardInterrupt:
            stderr.write("\n")
            return False
        return answer.strip().lower() in ("y", "yes")

    return confirm


class ProgressLine:
    """One updating stderr line while an operation runs (terminals only)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.active = False

    def __call__(self, operation: Any) -> None:
        from .domain.text import escape_control

        terminal = getattr(self.stream, "raw", self.stream)  # our codes pass; the data in them is escaped
        label = operation.message or f"{operation.kind} {operation.scale_set_name}"
        if operation.done:
            if self.active:
                terminal.write("\r\x1b[K")
                terminal.flush()
            self.active = False
            return
        terminal.write("\r\x1b[K" + escape_control(f"{label}: {operation.status} {operation.percent_complete:.0f}%"))
        terminal.flush()
        self.active = True


def _lazy_entry(module: str, function: str, stderr: TextIO) -> Any:
    import importlib

    try:
        loaded = importlib.import_module(module)
        return getattr(loaded, function)
    except (ImportError, AttributeError) as exc:
        stderr.write(f"ERROR: {module}.{function} is not available in this build ({exc}).\n")
        return None


def _run_tui(settings: Settings, stderr: TextIO) -> int:
    first_read = _fork_first_read(settings)  # before Textual is imported: see tui/first_read.py
    run_app = _lazy_entry("vmss_tui.tui.app", "run_app", stderr)
    if run_app is None:
        return 1
    result = run_app(backend_kind=settings.backend, backend_options=settings.backend_options,
                     theme=settings.theme, read_only=settings.read_only, mouse=settings.mouse,
                     config=settings.config, resource_group=settings.resource_group,
                     session_setup=lambda session, backend: attach_console(settings, session, backend),
                     first_read=first_read, keep_start_caches=compile_cache.save)
    return int(result or 0)


def _fork_first_read(settings: Settings) -> Any:
    """A child process that opens the emulator and reads the TUI's first screen while this process
    imports Textual (`tui.first_read.ForkedRead`); None for a live backend (its first read waits on
    the network, in a thread, not on this process's CPU) or when the TUI will not start anyway."""
    if settings.backend != "emulator" or not sys.stdout.isatty():
        return None
    import threading

    if threading.active_count() > 1:
        return None  # a lock another thread holds would stay locked in the child: read in-process instead
    from .domain.errors import AzureError
    from .tui.first_read import ForkedRead

    def open_emulator() -> Any:
        from .backends import open_backend

        return open_backend(settings.backend, **settings.backend_options)

    group = settings.resource_group or getattr(settings.config, "resource_group", None)
    return ForkedRead.start(open_emulator, group, (AzureError, ValueError, OSError))


def served_store(values: dict[str, Any], config: Any) -> tuple[str | None, str]:
    """The store `emulator serve` serves and why: --db > VMSS_TUI_DB > the config's db, as for every command.

    None means the practice store. The reason goes on the server's banner, so nobody changes one
    store believing it is another.
    """
    if values.get("db") is not None:
        return values["db"], "--db"
    if os.environ.get("VMSS_TUI_DB"):
        return os.environ["VMSS_TUI_DB"], "VMSS_TUI_DB"
    if config.db is not None:
        return config.db, f"db in {config.path}"
    return None, ""


def _run_armserver(settings: Settings, options: GlobalOptions, stderr: TextIO) -> int:
    from .config import SPEEDS

    try:
        speed = _choose(options.values, "speed", "VMSS_TUI_SPEED", settings.config.speed, SPEEDS)
    except CliUsageError as exc:
        stderr.write(f"ERROR: (InvalidArgumentValue) {exc}\n")
        return 2
    armserver_main = _lazy_entry("vmss_tui.armserver", "main", stderr)
    if armserver_main is None:
        return 1
    db, db_origin = served_store(options.values, settings.config)
    from .admin.audit import endpoint_recorder
    from .admin.commands import audit_path

    recorder = endpoint_recorder(audit_path(settings.config), operator=settings.operator.user, role=settings.role)
    return int(armserver_main(list(options.command[2:]), audit=recorder, db=db, db_origin=db_origin, speed=speed)
               or 0)


class _EscapingLines:
    """A text stream that shows control characters as escapes, keeping only its line breaks.

    Every `ERROR:`/`WARNING:` line quotes something from data (a name, a path, Azure's message,
    an exception's text). Escaping at the stream, not at each message, means no line written to
    stderr can clear the screen or retitle the window, whoever wrote it.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from .domain.text import escape_control

        self._stream.write("\n".join(escape_control(line) for line in text.split("\n")))
        return len(text)

    @property
    def raw(self) -> TextIO:
        """The stream underneath, for our own terminal codes (the progress line's erase-line)."""
        return self._stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    """Run vmss-tui with `argv` (default: sys.argv[1:]) and return the exit code."""
    stdout, stderr = sys.stdout, _EscapingLines(sys.stderr)
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(arguments, stdout, stderr)
    except KeyboardInterrupt:
        stderr.write("\nERROR: interrupted\n")
        return 1
    except BrokenPipeError:
        # The reader went away (`| head`); stop quietly like other CLI tools.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - avoid a second error at interpreter exit
        except OSError:
            pass
        return 1
    except Exception as exc:  # noqa: BLE001 - the top: nothing may escape as a traceback
        import traceback

        from .commands.executor import debug_enabled

        message = str(exc).splitlines()[0] if str(exc) else ""
        stderr.write(f"ERROR: internal error: {type(exc).__name__}: {message}".rstrip(": ") + "\n")
        if debug_enabled():
            traceback.print_exc(file=stderr)
        return 1
    finally:
        compile_cache.save()  # what this run compiled, for the next start (nothing when it compiled nothing)


def _main(argv: list[str], stdout: TextIO, stderr: TextIO) -> int:
    from .domain.limits import InputTooLong, check_argv

    try:
        check_argv(argv)
    except InputTooLong as exc:
        stderr.write(f"ERROR: {exc}\n")
        return 2
    try:
        options = split_globals(argv)
    except CliUsageError as exc:
        stderr.write(f"ERROR: (UnrecognizedArguments) {exc}\n")
        return 2
    return _dispatch(options, stdout, stderr)


def _dispatch(options: GlobalOptions, stdout: TextIO, stderr: TextIO) -> int:
    """Run what parsed global options and command words ask for."""
    from .domain.errors import AzureError

    if options.values.get("help"):
        stdout.write(USAGE + "\n")
        return 0
    if options.values.get("version"):
        from . import __version__

        stdout.write(f"vmss-tui {__version__}\n")
        return 0
    try:
        settings = resolve_settings(options)
    except CliUsageError as exc:
        stderr.write(f"ERROR: (InvalidArgumentValue) {exc}\n")
        return 2
    except AzureError as exc:
        stderr.write(f"ERROR: {exc}\n")
        return 2
    command = options.command
    if not command:
        return _run_tui(settings, stderr)
    if command[0] == "emulator":
        if command[1:2] != ["serve"]:
            from .admin.commands import run_emulator_admin

            return run_emulator_admin(command[1:], settings.backend_options, settings.yes, settings.output,
                                      stdout, stderr)
        return _run_armserver(settings, options, stderr)
    if command[0] == "audit":
        from .admin.commands import run_audit

        return run_audit(command[1:], settings.config, settings.output, stdout, stderr,
                         reader=settings.operator.user, role=settings.role)
    if command[0] == "ssh-config":
        from .admin.commands import run_ssh_config

        return run_ssh_config(command[1:], stdout, stderr)
    if command[0] == "ssh-console":
        from .admin.commands import run_ssh_console

        return run_ssh_console(
            settings, console_options=options, run_tui=lambda: _run_tui(settings, stderr),
            run_pipe=lambda: _run_shell(settings, stdout, stderr),
            run_command=lambda remote: _dispatch(remote, stdout, stderr),
            split_globals=split_globals, record_refusal=refusal_recorder(settings), stderr=stderr)
    if command[0] == "shell":
        if len(command) > 1:
            stderr.write(f"ERROR: (UnrecognizedArguments) shell: unexpected argument(s) '{escape_control(' '.join(command[1:]))}'\n")
            return 2
        return _run_shell(settings, stdout, stderr)
    return _run_one_shot(settings, command, stdout, stderr)


def refusal_recorder(settings: Settings) -> Any:
    """Records a line refused before any backend was opened (e.g. an option not allowed over SSH)."""
    from .admin.audit import AuditTrail
    from .admin.commands import audit_path

    def describe() -> tuple[str, str]:
        return settings.backend, str(settings.backend_options.get("subscription") or "unknown")

    trail = AuditTrail(audit_path(settings.config), operator=settings.operator.user,
                       source_address=settings.operator.source_address, role=settings.role,
                       describe_backend=describe)

    def record(typed: str, error: str, resource_group: str | None) -> str | None:
        return trail.record(typed, exit_code=2, error=error, resource_group=resource_group)

    return record


def _open(settings: Settings, stderr: TextIO, *, interactive_stdin: bool) -> Any:
    from .domain.errors import AzureError

    try:
        return open_session(settings, interactive_stdin=interactive_stdin, stderr=stderr)
    except AzureError as exc:
        stderr.write(f"ERROR: {exc}\n")
    except ValueError as exc:
        stderr.write(f"ERROR: (InvalidArgumentValue) {exc}\n")
    return None


def _run_one_shot(settings: Settings, command: list[str], stdout: TextIO, stderr: TextIO) -> int:
    from .commands import get_command, run_tokens
    from .commands.executor import print_outcome

    spec = get_command(command[0])
    if spec is not None and spec.repl_only:
        stderr.write(f"ERROR: (UnrecognizedArguments) '{spec.name}' works only inside the shell "
                     f"(vmss-tui shell).\n")
        return 2
    if spec is not None and (spec.name == "help" or any(word in ("-h", "--help") for word in _before_dashes(command[1:]))):
        # Help needs no backend: do not create (or seed) a store just to print usage.
        from .commands import Session

        outcome = run_tokens(command, Session(None, output=settings.output or "table"))  # type: ignore[arg-type]
        print_outcome(outcome, stdout, stderr)
        return outcome.exit_code
    session = _open(settings, stderr, interactive_stdin=sys.stdin.isatty())
    if session is None:
        return 1
    try:
        outcome = run_tokens(command, session)
        print_outcome(outcome, stdout, stderr)
        return outcome.exit_code
    finally:
        session.backend.close()


def _before_dashes(words: list[str]) -> list[str]:
    """The words before a `--` (after it they are the command's own, e.g. ssh's `-h`)."""
    return words[:words.index("--")] if "--" in words else words


def _run_shell(settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    from .repl import run_repl

    interactive = sys.stdin.isatty()
    # The REPL asks its own confirmations through prompt_toolkit; a pipe cannot be asked.
    session = _open(settings, stderr, interactive_stdin=False)
    if session is None:
        return 1
    try:
        return run_repl(session, interactive=interactive and sys.stdout.isatty())
    finally:
        session.backend.close()


if __name__ == "__main__":  # pragma: no cover - `python -m vmss_tui` goes through __main__
    raise SystemExit(main())
