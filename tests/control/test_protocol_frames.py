"""Frames: 4-byte big-endian length + msgpack; limits and error classification."""

from __future__ import annotations

import msgspec
import pytest

from peaktrade.control.protocol import (
    HEADER,
    MAX_FRAME_BYTES,
    CommandClass,
    FrameError,
    Health,
    Kill,
    Release,
    Reply,
    StateResult,
    Transition,
    decode_request,
    encode_frame,
    frame_length,
    reply_decoder,
)


def test_request_round_trip() -> None:
    frame = encode_frame(Kill(reason="r", cancel_open=True))
    assert frame_length(frame[:4]) == len(frame) - 4
    assert decode_request(frame[4:]) == Kill(reason="r", cancel_open=True)


def test_reply_round_trip_keeps_mode_and_network() -> None:
    t = Transition("ACTIVE", "HALTED", "r", "ptctl", 1, 2, 3)
    reply = Reply(ok=True, mode="paper", network="sim", result=StateResult(transition=t))
    assert reply_decoder.decode(encode_frame(reply)[4:]) == reply


def test_zero_length_frame_is_refused() -> None:
    with pytest.raises(FrameError) as info:
        frame_length(HEADER.pack(0))
    assert info.value.code == "frame.empty"


def test_oversize_frame_is_refused_before_reading_it() -> None:
    with pytest.raises(FrameError) as info:
        frame_length(HEADER.pack(MAX_FRAME_BYTES + 1))
    assert info.value.code == "frame.too_large"
    assert frame_length(HEADER.pack(MAX_FRAME_BYTES)) == MAX_FRAME_BYTES


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\xc1", "frame.bad_encoding"),
        (msgspec.msgpack.encode({"cmd": "launch_missiles"}), "request.unknown_command"),
        (msgspec.msgpack.encode({"reason": "x"}), "request.unknown_command"),
        (msgspec.msgpack.encode({"cmd": "kill", "reason": 7}), "request.invalid"),
        (msgspec.msgpack.encode({"cmd": "kill", "reason": ""}), "request.invalid"),
        (msgspec.msgpack.encode({"cmd": "kill", "reason": "x", "extra": 1}), "request.invalid"),
        (msgspec.msgpack.encode([1, 2, 3]), "request.invalid"),
    ],
)
def test_bad_bodies_are_classified(body: bytes, code: str) -> None:
    with pytest.raises(FrameError) as info:
        decode_request(body)
    assert info.value.code == code


def test_command_classes() -> None:
    assert Health.command_class is CommandClass.READ
    assert Kill.command_class is CommandClass.KILL
    assert Release.command_class is CommandClass.KILL
