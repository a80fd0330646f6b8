"""The control socket server: framing, limits, peer checks, error replies.

What a command does lives in the daemon; this module only guarantees that any byte sequence a
client sends gets a clear answer (where one can be sent) and never harms the daemon or other
clients.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
from anyio.abc import SocketAttribute
from anyio.streams.buffered import BufferedByteReceiveStream

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
        self.active = 0
        self.served = 0

    async def serve(
        self,
        sock: socket.socket,
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        listener = await anyio.abc.SocketListener.from_socket(sock)
        async with listener, anyio.create_task_group() as tg:
            task_status.started()
            await listener.serve(self._connection, task_group=tg)

    async def _connection(self, stream: anyio.abc.SocketStream) -> None:
        async with stream:
            peer = peer_of(stream.extra(SocketAttribute.raw_socket))
            if self.active >= self.max_connections:
                await self._send_error(
                    stream, "server.busy", "too many control connections", "retry shortly"
                )
                log.warning("control_busy", peer_pid=peer.pid, peer_uid=peer.uid)
                return
            self.active += 1
            try:
                await self._serve_requests(stream, peer)
            except (anyio.EndOfStream, anyio.IncompleteRead, anyio.BrokenResourceError):
                pass  # the client went away; nothing to answer
            finally:
                self.active -= 1

    async def _serve_requests(self, stream: anyio.abc.SocketStream, peer: Peer) -> None:
        reader = BufferedByteReceiveStream(stream)
        while True:
            with anyio.move_on_after(self.idle_timeout_s) as idle:
                header = await reader.receive_exactly(HEADER.size)
            if idle.cancelled_caught:
                await self._refuse_frame(stream, peer, "frame.idle_timeout", "no request received")
                return
            try:
                length = frame_length(header)
                with anyio.fail_after(self.request_timeout_s):
                    body = await reader.receive_exactly(length)
                request = decode_request(body)
            except FrameError as exc:
                await self._refuse_frame(stream, peer, exc.code, str(exc))
                return
            except TimeoutError:
                await self._refuse_frame(
                    stream, peer, "frame.timeout", "the frame did not arrive in time"
                )
                return
            await stream.send(await self._answer(request, peer))

    async def _answer(self, request: AnyRequest, peer: Peer) -> bytes:
        mode, network = self.identity()
        cls = request.command_class
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
                with anyio.fail_after(self.request_timeout_s):
                    result = await self.dispatch(request, peer)
            else:
                # Mutating commands must not be cut off between their durable write and the
                # reply: a timeout there would hide a state change from the operator.
                with anyio.CancelScope(shield=True):
                    result = await self.dispatch(request, peer)
        except CommandError as exc:
            reply = Reply(
                ok=False,
                mode=mode,
                network=network,
                error=ErrorInfo(code=exc.code, message=redact_text(exc.message), hint=exc.hint),
            )
        except TimeoutError:
            reply = Reply(
                ok=False,
                mode=mode,
                network=network,
                error=ErrorInfo(
                    code="request.timeout",
                    message=f"no answer within {self.request_timeout_s:g} s",
                    hint="the daemon may be overloaded; check ptctl health",
                ),
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
        self.served += 1
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
