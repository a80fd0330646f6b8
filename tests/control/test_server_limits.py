"""The control server's time limits, in process: a slow read is answered `request.timeout`, a
slow mutating command is never cut off, a client that sends nothing is closed, and one slow
connection does not hold up another."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import anyio.abc

from peaktrade.control.peers import Peer, PeerPolicy
from peaktrade.control.protocol import (
    HEADER,
    AnyRequest,
    AnyResult,
    Health,
    HealthResult,
    Kill,
    Reply,
    Status,
    encode_frame,
    frame_length,
    reply_decoder,
)
from peaktrade.control.server import ControlServer

LIMIT_S = 0.2


class Slow:
    """A dispatch whose answer to each command waits as long as the test says."""

    def __init__(self) -> None:
        self.delay_s: dict[type, float] = {}
        self.finished: list[str] = []

    async def __call__(self, request: AnyRequest, peer: Peer) -> AnyResult:
        await anyio.sleep(self.delay_s.get(type(request), 0.0))
        self.finished.append(type(request).__name__)
        return HealthResult(healthy=True, checks=[])


@asynccontextmanager
async def serving(tmp_path: Path) -> AsyncIterator[tuple[Path, Slow]]:
    """A served socket for the body of one test (a task group cannot span fixture tasks)."""
    path = tmp_path / "c.sock"
    dispatch = Slow()
    uid = os.getuid()
    server = ControlServer(
        dispatch=dispatch,
        policy=PeerPolicy(owner_uid=uid, read=("@owner",), trade=("@owner",), kill=("@owner",)),
        identity=lambda: ("paper", "sim"),
        request_timeout_s=LIMIT_S,
        idle_timeout_s=LIMIT_S,
        max_connections=8,
    )
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(os.fspath(path))
    sock.listen()
    async with anyio.create_task_group() as tg:
        await tg.start(server.serve, sock)
        yield path, dispatch
        tg.cancel_scope.cancel()


async def _read_reply(stream: anyio.abc.ByteStream) -> Reply:
    data = b""
    while len(data) < HEADER.size or len(data) < HEADER.size + frame_length(data[: HEADER.size]):
        data += await stream.receive()
    return reply_decoder.decode(data[HEADER.size :])


async def _exchange(path: Path, frame: bytes | None) -> tuple[Reply, bool]:
    """Send ``frame`` (or nothing), read one reply, and say whether the server then closed."""
    async with await anyio.connect_unix(path) as stream:
        if frame is not None:
            await stream.send(frame)
        reply = await _read_reply(stream)
        try:
            closed = await stream.receive() == b""
        except anyio.EndOfStream:
            closed = True
        return reply, closed


def _code(reply: Reply) -> str:
    assert not reply.ok and reply.error is not None
    return reply.error.code


async def test_a_read_that_outlives_the_limit_is_answered_timeout_and_closed(
    tmp_path: Path,
) -> None:
    async with serving(tmp_path) as (path, dispatch):
        dispatch.delay_s[Health] = 30.0
        reply, closed = await _exchange(path, encode_frame(Health()))
        assert _code(reply) == "request.timeout"
        assert "request_timeout_s" in reply.error.message  # type: ignore[union-attr]
        assert closed
        assert dispatch.finished == []  # the slow read was cut off, not left running


async def test_a_mutating_command_is_never_cut_off(tmp_path: Path) -> None:
    async with serving(tmp_path) as (path, dispatch):
        dispatch.delay_s[Kill] = LIMIT_S * 4
        reply, _ = await _exchange(path, encode_frame(Kill(reason="drill")))
        assert reply.ok
        assert dispatch.finished == ["Kill"]


async def test_a_client_that_says_nothing_is_closed(tmp_path: Path) -> None:
    async with serving(tmp_path) as (path, _):
        reply, closed = await _exchange(path, None)
        assert _code(reply) == "frame.idle_timeout"
        assert closed


async def test_a_frame_that_stops_half_way_is_closed(tmp_path: Path) -> None:
    async with serving(tmp_path) as (path, _):
        reply, closed = await _exchange(path, HEADER.pack(100) + b"x" * 10)
        assert _code(reply) == "frame.timeout"
        assert closed


async def test_a_slow_connection_does_not_hold_up_another(tmp_path: Path) -> None:
    async with serving(tmp_path) as (path, dispatch):
        dispatch.delay_s[Health] = 30.0
        codes: list[str] = []
        async with anyio.create_task_group() as tg:

            async def slow() -> None:
                reply, _ = await _exchange(path, encode_frame(Health()))
                codes.append(_code(reply))

            tg.start_soon(slow)
            await anyio.sleep(0.02)
            reply, _ = await _exchange(path, encode_frame(Status()))
            assert reply.ok  # answered while the other waits for its limit
            assert dispatch.finished == ["Status"]
        assert codes == ["request.timeout"]


async def test_a_busy_connection_keeps_being_served_past_the_idle_limit(
    tmp_path: Path,
) -> None:
    """The limits apply to each phase, not to the connection's age."""
    async with serving(tmp_path) as (path, _), await anyio.connect_unix(path) as stream:
        with anyio.fail_after(10):
            for _ in range(int(LIMIT_S * 4 / 0.02)):
                await stream.send(encode_frame(Status()))
                assert (await _read_reply(stream)).ok
                await anyio.sleep(0.02)


async def test_frames_split_or_sent_together_are_each_answered_in_order(
    tmp_path: Path,
) -> None:
    """The server reads whatever arrives: two frames in one write are two requests, and a
    frame that arrives a byte at a time is one."""
    async with serving(tmp_path) as (path, dispatch), await anyio.connect_unix(path) as stream:
        await stream.send(encode_frame(Status()) + encode_frame(Health()))
        for byte in encode_frame(Status()):
            await stream.send(bytes([byte]))
            await anyio.sleep(0.001)
        received = b""
        replies: list[Reply] = []
        with anyio.fail_after(10):
            while len(replies) < 3:
                received += await stream.receive()
                while len(received) >= HEADER.size:
                    end = HEADER.size + frame_length(received[: HEADER.size])
                    if len(received) < end:
                        break
                    replies.append(reply_decoder.decode(received[HEADER.size : end]))
                    received = received[end:]
        assert [r.ok for r in replies] == [True, True, True]
        assert dispatch.finished == ["Status", "Health", "Status"]
        assert received == b""
