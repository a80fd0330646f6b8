"""A real OpenSSH server on a loopback port, with throwaway keys, for ptctl --host tests."""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.support import ROOT, free_port, wait_for

SSHD = "/usr/sbin/sshd"
# the remote end runs the venv's ptctl as the login user sees it (absolute: sshd's PATH is bare)
PTCTL = str(Path(sys.executable).parent / "ptctl")


def keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)],
        check=True,
    )
    return (path.with_suffix(".pub")).read_text().strip()


class Sshd:
    """``sshd -D`` as the current user's host, keys and config in ``root``."""

    def __init__(self, root: Path) -> None:
        if not Path(SSHD).exists():
            raise AssertionError(
                "openssh-server is not installed (needed for the remote tests): "
                "apt-get install openssh-server openssh-client"
            )
        self.root = root
        self.user = getpass.getuser()
        self.port = free_port()
        self.host_key = root / "host_key"
        self.full_key = root / "oncall_key"
        self.kill_key = root / "kill_only_key"
        host_pub = keygen(self.host_key)
        self.full_pub = keygen(self.full_key)
        self.kill_pub = keygen(self.kill_key)
        self.authorized = root / "authorized_keys"
        self.known_hosts = root / "known_hosts"
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_pub}\n")
        self.restrict_kill_to(None)
        self.config = root / "sshd_config"
        self.config.write_text(
            "\n".join(
                [
                    f"Port {self.port}",
                    "ListenAddress 127.0.0.1",
                    f"HostKey {self.host_key}",
                    f"AuthorizedKeysFile {self.authorized}",
                    f"PidFile {root / 'sshd.pid'}",
                    "UsePAM no",
                    "StrictModes no",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "PermitRootLogin prohibit-password",
                    "LogLevel VERBOSE",
                    "",
                ]
            )
        )
        self.log = root / "sshd.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def client_config(self, key: Path) -> Path:
        """An ssh_config for ``ssh -F``: this key only, this host key only."""
        path = self.root / f"ssh_config_{key.name}"
        path.write_text(
            "Host *\n"
            f"  IdentityFile {key}\n"
            "  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {self.known_hosts}\n"
            "  StrictHostKeyChecking yes\n"
            "  LogLevel ERROR\n"
        )
        return path

    @property
    def url(self) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    def restrict_kill_to(self, daemon_socket: Path | None) -> None:
        """The on-call key may do anything; the kill-only key is forced to ``relay --allow
        kill`` (``restrict``: no pty, no forwarding), as docs/REMOTE_CONTROL.md sets it up."""
        forced = f"{PTCTL} relay --allow kill" + (
            f" --socket {daemon_socket}" if daemon_socket else ""
        )
        self.authorized.write_text(
            f'{self.full_pub}\nrestrict,command="{forced}" {self.kill_pub}\n'
        )
        self.authorized.chmod(0o600)

    def start(self) -> Sshd:
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
        subprocess.run([SSHD, "-t", "-f", str(self.config)], check=True)
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.config), "-E", str(self.log)], cwd=ROOT
        )

        def listening() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                return False

        wait_for(listening, timeout=10)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
