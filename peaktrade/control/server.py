"""The control socket server: framing, limits, peer checks, error replies.

What a command does lives in the daemon; this module only guarantees that any byte sequence a
client sends gets a clear answer (where one can be sent) and never harms the daemon or other
clients.
"""

from __future__ import annotations

import enum
import math
import socket
import time
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
from anyio.abc import SocketAttribute

from peaktrade.control.peers import Peer, PeerPolicy, peer_of
from peaktrade.control.protocol import (
    HEADER,
    AnyRequest,
    AnyResult,
    CommandClass,
    ErrorInfo,
    FrameError,
    Reply,
    command_name,
    decode_request,
    encode_frame,
    frame_length,
)
from peaktrade.log import get_logger
from peaktrade.redaction import redact_text

log = get_logger("peaktrade.control")

Dispatch = Callable[[AnyRequest, Peer], Awaitable[AnyResult]]
Identity = Callable[[], tuple[str, str]]
OnRefused = Callable[[AnyRequest, Peer, str], Awaitable[None]]


class CommandError(Exception):
    """A command refused or failed in a way the operator should read; becomes an error reply."""

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


class _Phase(enum.Enum):
    """Where a connection is; each phase but MUTATING has a time limit."""

    IDLE = "idle"  # waiting for the next header: idle_timeout_s
    FRAME = "frame"  # the rest of a frame is due: request_timeout_s
    READ = "read"  # a read command is being answered: request_timeout_s
    MUTATING = "mutating"  # never cut off between its durable write and the reply
    REPLY = "reply"  # the client must take the reply: request_timeout_s


class _Connection:
    """One client: its cancel scope and how long it has been in its phase.

    The limits are enforced by one reaper task for all connections instead of a cancel scope
    per request: entering a phase is two attribute writes, so the limits cost the request path
    nothing measurable (three scopes per request were a fifth of the server's loop time).
    """

    __slots__ = ("expired", "phase", "scope", "since")

    def __init__(self, scope: anyio.CancelScope) -> None:
        self.scope = scope
        self.phase = _Phase.IDLE
        self.since = time.monotonic()
        self.expired: _Phase | None = None

    def enter(self, phase: _Phase) -> None:
        self.phase = phase
        self.since = time.monotonic()


# What a client whose frame ran out of time is told before its connection is closed.
_FRAME_EXPIRED = {
    _Phase.IDLE: ("frame.idle_timeout", "no request received"),
    _Phase.FRAME: ("frame.timeout", "the frame did not arrive in time"),
}


class ControlServer:
    """Serves one listening socket until cancelled."""

    def __init__(
        self,
        *,
        dispatch: Dispatch,
        policy: PeerPolicy,
        identity: Identity,
        request_timeout_s: float,
        idle_timeout_s: float,
        max_connections: int,
        on_refused: OnRefused | None = None,
    ) -> None:
        self.dispatch = dispatch
        self.policy = policy
        self.identity = identity
        self.request_timeout_s = request_timeout_s
        self.idle_timeout_s = idle_timeout_s
        self.max_connections = max_connections
        self.on_refused = on_refused
        self._connections: set[_Connection] = set()

    async def serve(
        self,
        sock: socket.socket,
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        listener = await anyio.abc.SocketListener.from_socket(sock)
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(self._reap)
            task_status.started()
            await listener.serve(self._connection, task_group=tg)

    def _limit(self, phase: _Phase) -> float:
        if phase is _Phase.MUTATING:
            return math.inf
        return self.idle_timeout_s if phase is _Phase.IDLE else self.request_timeout_s

    async def _reap(self) -> None:
        """Cancel every connection that has outstayed its phase's limit.

        Checked at a quarter of the shortest limit, so a limit is kept to within 25 %.
        """
        tick = min(1.0, max(0.01, min(self.idle_timeout_s, self.request_timeout_s) / 4))
        while True:
            await anyio.sleep(tick)
            now = time.monotonic()
            for conn in self._connections:
                if conn.expired is None and now - conn.since > self._limit(conn.phase):
                    conn.expired = conn.phase
                    conn.scope.cancel()

    async def _connection(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            peer = peer_of(stream.extra(SocketAttribute.raw_socket))
            if len(self._connections) >= self.max_connections:
                await self._send_error(
                    stream, "server.busy", "too many control connections", "retry shortly"
                )
                log.warning("control_busy", peer_pid=peer.pid, peer_uid=peer.uid)
                return
            with anyio.CancelScope() as scope:
                conn = _Connection(scope)
                self._connections.add(conn)
                try:
                    await self._serve_requests(stream, peer, conn)
                except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError):
                    pass  # the client went away; nothing to answer
                finally:
                    self._connections.discard(conn)
            if conn.expired in _FRAME_EXPIRED:
                await self._refuse_frame(stream, peer, *_FRAME_EXPIRED[conn.expired])
            elif conn.expired is _Phase.READ:
                log.warning(
                    "control_slow_request",
                    code="request.timeout",
                    peer_pid=peer.pid,
                    peer_uid=peer.uid,
                )
                await self._send_error(
                    stream,
                    "request.timeout",
                    "no answer within the request timeout (control.request_timeout_s)",
                    "the daemon may be overloaded; check ptctl health",
                )

    async def _serve_requests(
        self, stream: anyio.abc.SocketStream, peer: Peer, conn: _Connection
    ) -> None:
        pending = bytearray()  # received, not yet answered: a request often comes in one read
        while True:
            conn.enter(_Phase.IDLE)
            await _fill(stream, pending, HEADER.size)
            conn.enter(_Phase.FRAME)
            try:
                end = HEADER.size + frame_length(bytes(pending[: HEADER.size]))
                await _fill(stream, pending, end)
                body = bytes(pending[HEADER.size : end])
                del pending[:end]
                request = decode_request(body)
            except FrameError as exc:
                await self._refuse_frame(stream, peer, exc.code, str(exc))
                return
            reply = await self._answer(request, peer, conn)
            conn.enter(_Phase.REPLY)
            await stream.send(reply)

    async def _answer(self, request: AnyRequest, peer: Peer, conn: _Connection) -> bytes:
        mode, network = self.identity()
        cls = request.command_class
        conn.enter(_Phase.READ)
        if not self.policy.allows(peer, cls):
            code = "peer.not_allowed"
            log.warning(
                "control_refused", command=command_name(request), peer_uid=peer.uid, code=code
            )
            if self.on_refused is not None:
                await self.on_refused(request, peer, code)
            return encode_frame(
                Reply(
                    ok=False,
                    mode=mode,
                    network=network,
                    error=ErrorInfo(
                        code=code,
                        message=f"uid {peer.uid} may not send {cls.value} commands",
                        hint=f"add the user to control.allow.{cls.value} in the config",
                    ),
                )
            )
        try:
            if cls is CommandClass.READ:
                result = await self.dispatch(request, peer)
            else:
                # Mutating commands must not be cut off between their durable write and the
                # reply: a timeout there would hide a state change from the operator.
                conn.enter(_Phase.MUTATING)
                with anyio.CancelScope(shield=True):
                    result = await self.dispatch(request, peer)
        except CommandError as exc:
            reply = Reply(
                ok=False,
                mode=mode,
                network=network,
                error=ErrorInfo(code=exc.code, message=redact_text(exc.message), hint=exc.hint),
            )
        except Exception as exc:
            log.exception("control_command_failed", command=command_name(request))
            reply = Reply(
                ok=False,
                mode=mode,
                network=network,
                error=ErrorInfo(
                    code="internal",
                    message=redact_text(f"{type(exc).__name__}: {exc}"),
                    hint="see the daemon log",
                ),
            )
        else:
            reply = Reply(ok=True, mode=mode, network=network, result=result)
        return encode_frame(reply)

    async def _refuse_frame(
        self, stream: anyio.abc.SocketStream, peer: Peer, code: str, message: str
    ) -> None:
        log.warning("control_bad_frame", code=code, peer_pid=peer.pid, peer_uid=peer.uid)
        await self._send_error(stream, code, redact_text(message), "this connection is closed")

    async def _send_error(
        self, stream: anyio.abc.SocketStream, code: str, message: str, hint: str
    ) -> None:
        mode, network = self.identity()
        frame = encode_frame(
            Reply(
                ok=False,
                mode=mode,
                network=network,
                error=ErrorInfo(code=code, message=message, hint=hint),
            )
        )
        try:
            with anyio.move_on_after(1.0):
                await stream.send(frame)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass


async def _fill(stream: anyio.abc.SocketStream, pending: bytearray, size: int) -> None:
    """Receive until ``pending`` holds ``size`` bytes, taking whatever each read brings.

    Header and body usually arrive together: reading them as one saves a receive, and every
    receive is a loop turn, which on a busy loop is where a waiting request queues. ``size``
    is at most a header plus the largest frame allowed, so ``pending`` stays bounded.
    """
    while len(pending) < size:
        pending += await stream.receive()
