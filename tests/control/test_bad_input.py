"""Any bytes a client sends get a clear answer where possible; the daemon keeps serving."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from peaktrade.control.protocol import HEADER, MAX_FRAME_BYTES, Health, Status
from tests.support import BASE_CONFIG, DaemonProcess, RawClient, wait_for


def still_serving(daemon: DaemonProcess) -> None:
    assert daemon.ask(Health()).ok


def error_then_closed(client: RawClient) -> str:
    reply = client.reply()
    assert not reply.ok and reply.error is not None
    assert (reply.mode, reply.network) == ("paper", "sim")
    assert client.closed()
    return reply.error.code


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (HEADER.pack(0), "frame.empty"),
        (HEADER.pack(MAX_FRAME_BYTES + 1), "frame.too_large"),
        (HEADER.pack(2**32 - 1), "frame.too_large"),
        (HEADER.pack(3) + b"\xc1\xc1\xc1", "frame.bad_encoding"),
        (HEADER.pack(4) + b"\xd9\xffab", "frame.bad_encoding"),  # truncated str8
    ],
)
def test_malformed_frames(daemon: DaemonProcess, payload: bytes, code: str) -> None:
    client = RawClient(daemon.socket)
    client.send(payload)
    assert error_then_closed(client) == code
    still_serving(daemon)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"cmd": "self_destruct"}, "request.unknown_command"),
        ({"no_cmd": True}, "request.unknown_command"),
        ({"cmd": "kill", "reason": 12}, "request.invalid"),
        ({"cmd": "kill", "reason": "x", "cancel_open": "yes"}, "request.invalid"),
        ({"cmd": "kill"}, "request.invalid"),
        ({"cmd": "audit", "limit": 0}, "request.invalid"),
        ([1, 2, 3], "request.invalid"),
        ("just a string", "request.invalid"),
    ],
)
def test_bad_requests(daemon: DaemonProcess, message: object, code: str) -> None:
    client = RawClient(daemon.socket)
    client.message(message)
    assert error_then_closed(client) == code
    still_serving(daemon)
    assert daemon.ask(Status()).result.state == "ACTIVE"  # type: ignore[union-attr]


def test_truncated_frame_times_out(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    client.send(HEADER.pack(100) + b"x" * 10)  # promises 100 bytes, sends 10, then waits
    assert error_then_closed(client) == "frame.timeout"
    still_serving(daemon)


def test_silent_client_is_answered_and_closed(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    # while the silent one waits, others are served
    still_serving(daemon)
    assert error_then_closed(client) == "frame.idle_timeout"


def test_client_vanishing_mid_frame_does_not_hurt(daemon: DaemonProcess) -> None:
    for _ in range(5):
        client = RawClient(daemon.socket)
        client.send(HEADER.pack(50) + b"abc")
        client.close()
    still_serving(daemon)


def test_several_requests_on_one_connection(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    for _ in range(3):
        client.message({"cmd": "status"})
        assert client.reply().ok


def test_connection_cap(make_daemon: Callable[..., DaemonProcess]) -> None:
    daemon = make_daemon(
        BASE_CONFIG.replace("idle_timeout_s = 1.0", "idle_timeout_s = 5.0")
        + "max_connections = 2\n"
    ).start()
    holders = [RawClient(daemon.socket) for _ in range(2)]
    for h in holders:  # an answered request proves the connection is counted
        h.message({"cmd": "status"})
        assert h.reply().ok
    extra = RawClient(daemon.socket)
    assert error_then_closed(extra) == "server.busy"
    for h in holders:
        h.close()
    wait_for(lambda: daemon.ask(Health()).ok)


def test_garbage_flood_then_valid_request(daemon: DaemonProcess) -> None:
    client = RawClient(daemon.socket)
    client.send(b"\xff" * 4096)
    assert error_then_closed(client) == "frame.too_large"
    good = RawClient(daemon.socket)
    good.frame(msgspec.msgpack.encode({"cmd": "health"}))
    assert good.reply().ok
