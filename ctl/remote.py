"""ptctl over SSH: ``ptctl --host ssh://user@host[:port] CMD`` for on-call from their machine.

The local ptctl builds the request as always and runs ``ssh ... ptctl relay`` on the host; the
relay reads that one frame on stdin, hands it to the daemon's socket there and writes the
reply frame to stdout. So the daemon checks the peer credentials of the relay process, i.e. of
the remote login user, exactly as for a local ptctl; exit codes and output are the local
ptctl's. Bytes on stdin, not argv: no remote shell ever sees a reason text. A key restricted
in ``authorized_keys`` with ``restrict,command="ptctl relay --allow kill"`` can only kill.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

from ctl.client import Unreachable, ask, default_socket
from peaktrade.control.protocol import (
    HEADER,
    MAX_FRAME_BYTES,
    ErrorInfo,
    FrameError,
    Reply,
    Request,
    command_name,
    decode_request,
    encode_frame,
    frame_length,
    reply_decoder,
)

SSH = "ssh"
EXIT_SSH = 255  # ssh's own failures (connect, host key, auth)
EXIT_UNREACHABLE = 3


class Remote(msgspec.Struct, frozen=True):
    """Where the daemon is: an SSH destination, and how to run ptctl there."""

    user: str | None
    host: str
    port: int | None
    ssh_config: str | None = None
    remote_ptctl: str = "ptctl"
    socket: str | None = None  # the daemon's socket on the remote host

    @property
    def destination(self) -> str:
        return f"{self.user}@{self.host}" if self.user else self.host


def parse_host(url: str) -> Remote:
    """``ssh://[user@]host[:port]``; raises ValueError with what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "ssh" or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"expected ssh://[user@]host[:port], got {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"bad port in {url!r}") from None
    return Remote(user=parts.username, host=parts.hostname, port=port)


def ssh_command(remote: Remote, timeout_s: float) -> list[str]:
    argv = [SSH, "-o", "BatchMode=yes", "-o", f"ConnectTimeout={max(1, int(timeout_s))}"]
    if remote.ssh_config:
        argv += ["-F", remote.ssh_config]
    if remote.port:
        argv += ["-p", str(remote.port)]
    relay = [remote.remote_ptctl, "relay"]
    if remote.socket:
        relay += ["--socket", remote.socket]
    # ssh hands the command to the remote shell as one string: quote every word
    return [*argv, "--", remote.destination, " ".join(shlex.quote(w) for w in relay)]


def ask_remote(remote: Remote, request: Request, timeout_s: float) -> Reply:
    """One request through ``ssh ... ptctl relay``; raise Unreachable like the local client."""
    argv = ssh_command(remote, timeout_s)
    try:
        done = subprocess.run(
            argv,
            input=encode_frame(request),
            capture_output=True,
            timeout=timeout_s + 15.0,  # the connection's own budget on top of the request's
            check=False,
        )
    except FileNotFoundError:
        raise Unreachable("ssh is not installed here", "install openssh-client") from None
    except subprocess.TimeoutExpired:
        raise Unreachable(
            f"no answer from {remote.destination} within {timeout_s + 15:g} s",
            "the host or its daemon may be wedged; try ssh by hand",
        ) from None
    errors = done.stderr.decode(errors="replace").strip().splitlines()
    if done.returncode == EXIT_SSH:
        raise Unreachable(
            f"ssh could not reach {remote.destination}: {errors[-1] if errors else 'failed'}",
            "check the host, the port, your key (ssh -v) and known_hosts",
        )
    if done.returncode == EXIT_UNREACHABLE:
        message = errors[0].removeprefix("ptctl: cannot reach the daemon: ") if errors else ""
        hint = errors[1].strip().removeprefix("hint: ") if len(errors) > 1 else ""
        raise Unreachable(f"on {remote.destination}: {message}", hint)
    try:
        return _reply(done.stdout)
    except ValueError:
        raise Unreachable(
            f"no reply from ptctl on {remote.destination} (exit {done.returncode}): "
            + (errors[-1] if errors else "no output"),
            f"is ptctl installed there? (--remote-ptctl PATH; tried {remote.remote_ptctl!r})",
        ) from None


def _reply(data: bytes) -> Reply:
    if len(data) < HEADER.size:
        raise ValueError("short reply")
    try:
        length = frame_length(data[: HEADER.size])
        body = data[HEADER.size : HEADER.size + length]
        if len(body) != length:
            raise ValueError("truncated reply")
        return reply_decoder.decode(body)
    except (FrameError, msgspec.DecodeError) as exc:
        raise ValueError(str(exc)) from None


# --- the remote end ------------------------------------------------------------------------


def relay(socket: Path | None, allow: list[str], timeout_s: float = 60.0) -> int:
    """Read one request frame on stdin, ask the local daemon, write the reply frame."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    header = stdin.read(HEADER.size)
    try:
        length = frame_length(header) if len(header) == HEADER.size else 0
        if not 0 < length <= MAX_FRAME_BYTES:
            raise FrameError("relay.no_request", "no request frame on stdin")
        request = decode_request(stdin.read(length))
    except FrameError as exc:
        stdout.write(encode_frame(_refusal(exc.code, str(exc), "")))
        return 1
    name = command_name(request)
    if allow and name not in allow:
        hint = "this key is restricted in authorized_keys (ptctl relay --allow)"
        refused = _refusal("relay.not_allowed", f"{name}: this key may only send {allow}", hint)
        stdout.write(encode_frame(refused))
        return 1
    try:
        reply = ask(socket or default_socket(), request, timeout_s=timeout_s)
    except Unreachable as exc:
        print(f"ptctl: cannot reach the daemon: {exc}", file=sys.stderr)
        print(f"  hint: {exc.hint}", file=sys.stderr)
        return EXIT_UNREACHABLE
    stdout.write(encode_frame(reply))
    stdout.flush()
    return 0


def _refusal(code: str, message: str, hint: str) -> Reply:
    host = os.uname().nodename
    return Reply(
        ok=False, mode="relay", network=host, error=ErrorInfo(code=code, message=message, hint=hint)
    )
