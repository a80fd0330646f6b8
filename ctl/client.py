"""A blocking client for the control socket: one request, one reply.

Blocking on purpose: ptctl does one thing per process, and avoiding an event loop keeps it fast.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from peaktrade.control.protocol import (
    HEADER,
    FrameError,
    Reply,
    Request,
    encode_frame,
    frame_length,
    reply_decoder,
)

DEV_SOCKET = Path("var/run/peaktrade.sock")
SYSTEM_SOCKET = Path("/run/peaktrade/peaktrade.sock")


class Unreachable(Exception):
    """The daemon could not be asked; ``hint`` says what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def default_socket() -> Path:
    """``PEAKTRADE_SOCKET``, else the development socket if present, else the systemd one."""
    env = os.environ.get("PEAKTRADE_SOCKET")
    if env:
        return Path(env)
    return DEV_SOCKET if DEV_SOCKET.exists() else SYSTEM_SOCKET


def ask(path: Path, request: Request, timeout_s: float = 15.0) -> Reply:
    """Send ``request`` and wait for the reply; raise Unreachable on any transport failure."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout_s)
    try:
        try:
            sock.connect(os.fspath(path))
        except FileNotFoundError:
            raise Unreachable(
                f"no daemon socket at {path}",
                "is the daemon running? (systemctl status peaktrade; or pass --socket)",
            ) from None
        except ConnectionRefusedError:
            raise Unreachable(
                f"nothing is listening on {path}",
                "the daemon is not running; start it (systemctl start peaktrade / make run)",
            ) from None
        except PermissionError:
            raise Unreachable(
                f"permission denied on {path}",
                "run as the daemon's user or a member of control.group",
            ) from None
        sock.sendall(encode_frame(request))
        length = frame_length(_recv_exactly(sock, HEADER.size))
        return reply_decoder.decode(_recv_exactly(sock, length))
    except TimeoutError:
        raise Unreachable(
            f"no reply from {path} within {timeout_s:g} s",
            "the daemon may be wedged; check journalctl -u peaktrade",
        ) from None
    except (ConnectionError, FrameError, EOFError, ValueError) as exc:
        raise Unreachable(
            f"broken reply from {path}: {exc}", "check the daemon log; versions may differ"
        ) from None
    finally:
        sock.close()


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < n:
        chunk = sock.recv(n - len(chunks))
        if not chunk:
            raise EOFError("the daemon closed the connection")
        chunks += chunk
    return bytes(chunks)
