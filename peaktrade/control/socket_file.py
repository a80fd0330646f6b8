"""Creating the control socket file safely.

The socket never exists on disk with wider permissions than configured: it is bound inside a
fresh 0700 directory, given its final mode and group there, then renamed into place. A lock
file held for the daemon's lifetime tells a second daemon to refuse, and lets a stale socket
left by a crash be replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import grp
import os
import socket
import tempfile
from pathlib import Path


class SocketInUse(Exception):
    """Another daemon holds this socket."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def acquire_lock(path: Path) -> int:
    """Take the lifetime lock next to the socket; returns the fd to keep open."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = lock_path(path)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise SocketInUse(
            f"another peaktrade daemon (pid {holder}) is serving {path}; stop it first"
        ) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def release_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def bind_control_socket(path: Path, group: str | None = None, backlog: int = 128) -> socket.socket:
    """A listening socket at ``path`` with mode 0600 (0660 and ``group`` when given).

    Call only while holding the lock: then anything already at ``path`` is stale.
    """
    mode = 0o660 if group else 0o600
    gid = grp.getgrnam(group).gr_gid if group else -1
    staging = Path(tempfile.mkdtemp(prefix=".peaktrade-sock-", dir=path.parent))
    try:
        staged = staging / "s"
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(os.fspath(staged))
            os.chmod(staged, mode)
            if gid >= 0 and gid != os.getegid():
                # only when it differs: the socket already has our group, and the systemd
                # units forbid the chown system calls (see systemd/peaktrade.service)
                os.chown(staged, -1, gid)
            sock.listen(backlog)
            os.replace(staged, path)  # atomic: replaces a stale socket file from a crash
        except BaseException:
            sock.close()
            raise
    finally:
        with contextlib.suppress(OSError):
            for leftover in staging.iterdir():
                leftover.unlink()
            staging.rmdir()
    return sock


def remove_socket(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
