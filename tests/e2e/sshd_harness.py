"""A real OpenSSH server on loopback with throwaway users, for end-to-end tests of the console.

Needs root (to add users and run sshd) and the OpenSSH server (`.ci/run` installs it). The
harness creates two groups and users, a shared store and audit directory writable by the
console group, generated host and user keys, and an sshd_config whose Match block is the one
`vmss-tui ssh-config` prints, then removes all of it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.server_process import READY_SECONDS, STOP_SECONDS
from vmss_tui.admin.ssh import render_sshd_config

SSHD = Path("/usr/sbin/sshd")
SYSTEM_PYTHON = Path("/usr/bin/python3")
REPO = Path(__file__).resolve().parents[2]
CONSOLE_GROUP = "vmsse2e-console"
OPERATOR_GROUP = "vmsse2e-operators"
VIEWER_GROUP = "vmsse2e-viewers"


def available() -> str | None:
    """None when the harness can run here, else why not."""
    if os.geteuid() != 0:
        return "needs root to add users and run sshd"
    if not SSHD.exists() or shutil.which("ssh") is None:
        return "needs the OpenSSH server and client (.ci/run installs them)"
    if shutil.which("useradd") is None:
        return "needs useradd"
    if not SYSTEM_PYTHON.exists():
        return "needs a system Python every user can run (/usr/bin/python3)"
    return None


def install_console(dest: Path) -> Path:
    """Install vmss-tui where every user can run it, as a bastion needs; returns the `vmss-tui` path.

    The test's own interpreter may sit under /root (pyenv), which other users cannot enter, so
    this makes a venv on the system Python (same CPython minor version, so the same wheels work)
    and points it at world-readable copies of the project and of the installed dependencies.
    """
    import site
    import sysconfig

    venv = dest / "venv"
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
    dependencies = dest / "site-packages"
    shutil.copytree(sysconfig.get_paths()["purelib"], dependencies, symlinks=True,
                    ignore=shutil.ignore_patterns("__editable__*", "_vmss_tui*", "vmss_tui*", "__pycache__"))
    source = dest / "src"
    shutil.copytree(REPO / "vmss_tui", source / "vmss_tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "themes", source / "themes")
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    venv_site = next((venv / "lib").glob("python3*")) / "site-packages"
    assert venv_site.parent.name == version, f"system Python {venv_site.parent.name} differs from {version}"
    (venv_site / "vmss_console.pth").write_text(f"{source}\nimport site; site.addsitedir({str(dependencies)!r})\n")
    launcher = dest / "bin" / "vmss-tui"
    launcher.parent.mkdir()
    launcher.write_text(f"#!{venv / 'bin' / 'python3'}\nfrom vmss_tui.cli import main\nraise SystemExit(main())\n")
    for path in [dest, *dest.rglob("*")]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or path == launcher else 0o644)
    launcher.chmod(0o755)
    del site
    return launcher


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@dataclass
class SshBastion:
    """A running sshd whose users land in the vmss-tui console."""

    root: Path
    port: int
    users: dict[str, Path] = field(default_factory=dict)
    """user name -> private key path"""
    process: subprocess.Popen | None = None

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def audit_log(self) -> Path:
        return self.root / "audit.jsonl"

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def ssh_argv(self, user: str, *remote: str, tty: bool = False) -> list[str]:
        """The ssh command line for a user (with `-t` for a terminal)."""
        argv = ["ssh", "-i", str(self.users[user]), "-p", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
                "-o", "SendEnv=COLORTERM"]
        if tty:
            argv.append("-tt")
        else:
            argv.append("-T")
        return argv + [f"{user}@127.0.0.1", *remote]

    def stop(self) -> None:
        if self.process is not None:
            # sshd and the sessions it forked share its process group (start_new_session): stop them all.
            for signum in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.process.pid, signum)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(STOP_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    continue
        for user in self.users:
            subprocess.run(["userdel", "-r", user], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for group in (OPERATOR_GROUP, VIEWER_GROUP, CONSOLE_GROUP):
            subprocess.run(["groupdel", group], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.root, ignore_errors=True)


def start_bastion(users: dict[str, str], executable: str | None = None) -> SshBastion:
    """Start sshd with `users` ({name: "operator"|"viewer"}) forced into `vmss-tui ssh-console`."""
    root = Path(tempfile.mkdtemp(prefix="vmss-ssh-e2e-"))
    bastion = SshBastion(root=root, port=_free_port())
    try:
        for group in (CONSOLE_GROUP, OPERATOR_GROUP, VIEWER_GROUP):
            subprocess.run(["groupadd", "-f", group], check=True)
        os.chmod(root, 0o755)
        keys = root / "keys"
        keys.mkdir(mode=0o755)
        for user, role in users.items():
            subprocess.run(["userdel", "-r", user], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            role_group = OPERATOR_GROUP if role == "operator" else VIEWER_GROUP
            _run("useradd", "-m", "-s", "/bin/sh", "-G", f"{CONSOLE_GROUP},{role_group}", user)
            _run("usermod", "-p", "*", user)  # no password, but not locked: key login only
            key = root / f"{user}_key"
            _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key))
            shutil.copy(f"{key}.pub", keys / user)
            os.chmod(keys / user, 0o644)
            bastion.users[user] = key
        shared = root / "shared"
        shared.mkdir()
        shutil.chown(shared, group=CONSOLE_GROUP)
        os.chmod(shared, 0o2770)  # setgid: the store and audit files stay in the console group
        bastion.root = root
        (root / "store").symlink_to(shared / "store")
        (root / "audit.jsonl").symlink_to(shared / "audit.jsonl")
        bastion.config.write_text(
            f'db = "{shared / "store"}"\n'
            f'audit_log = "{shared / "audit.jsonl"}"\n'
            'speed = "instant"\n'
            "[roles]\n"
            'default = "viewer"\n'
            "[roles.groups]\n"
            f'{OPERATOR_GROUP} = "operator"\n'
            f'{VIEWER_GROUP} = "viewer"\n'
        )
        os.chmod(bastion.config, 0o644)
        host_key = root / "host_ed25519"
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(host_key))
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        exe = executable or str(install_console(root / "install"))
        sshd_config = root / "sshd_config"
        sshd_config.write_text(
            f"Port {bastion.port}\nListenAddress 127.0.0.1\nHostKey {host_key}\nPidFile none\n"
            f"AuthorizedKeysFile {keys}/%u\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
            "KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nAcceptEnv LANG LC_*\n"
            + render_sshd_config(groups=(CONSOLE_GROUP,), config_path=str(bastion.config), executable=exe)
        )
        log = root / "sshd.log"
        bastion.process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(sshd_config)],
                                           stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", bastion.port)) == 0:
                    return bastion
            if bastion.process.poll() is not None:
                raise RuntimeError(f"sshd exited: {log.read_text()}")
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not start listening within {READY_SECONDS:.0f} s; its log so far:\n"
                           f"{log.read_text(errors='replace')}")
    except BaseException:
        bastion.stop()
        raise
