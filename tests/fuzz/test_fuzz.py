"""Fuzzing in the suite: the decoder and the loader take anything; a live daemon keeps serving.

``make fuzz`` runs the same targets under atheris for a million runs each.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peaktrade.control.protocol import HEADER, MAX_FRAME_BYTES, Health
from tests.fuzz.targets import config_file, control_frame, seeds
from tests.support import ROOT, DaemonProcess, RawClient

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
commands = st.sampled_from(["kill", "health", "order_submit", "orders", "portfolio", "x", ""])


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=512))
def test_any_bytes_as_a_frame(data: bytes) -> None:
    control_frame(data)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(commands, st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_any_message_shape_as_a_request(cmd: str, fields: dict[str, object]) -> None:
    body = msgspec.msgpack.encode({"cmd": cmd, **fields})
    control_frame(HEADER.pack(len(body)) + body)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_any_bytes_as_a_config(data: bytes) -> None:
    config_file(data)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["run", "control", "live_risk", "exchange", "x"]),
        st.dictionaries(st.text(max_size=12), json_values, max_size=5),
        max_size=4,
    )
)
def test_any_table_shape_as_a_config(tables: dict[str, dict[str, object]]) -> None:
    import tomli_w

    try:
        text = tomli_w.dumps(tables)
    except (TypeError, ValueError):
        return  # not representable in TOML (None, nested lists of tables...)
    config_file(text.encode())


def test_atheris_harness_runs() -> None:
    for target, runs in (("control", "20000"), ("config", "3000")):
        result = subprocess.run(
            [sys.executable, "-m", "tests.fuzz.atheris_main", target, runs],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        assert f"FIGURE fuzz_{target}_runs = {runs} runs" in result.stdout


def test_daemon_keeps_serving_under_fuzzed_frames(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon().start()
    rng = random.Random(7)
    valid = seeds("control")
    for _ in range(600):
        frame = bytearray(rng.choice(valid))
        for _ in range(rng.randint(1, 6)):  # mutate a valid frame a little
            frame[rng.randrange(len(frame))] = rng.randrange(256)
        if rng.random() < 0.2:
            frame = bytearray(rng.randbytes(rng.randint(0, 64)))
        if len(frame) >= 4 and int.from_bytes(frame[:4], "big") > MAX_FRAME_BYTES:
            frame[:4] = HEADER.pack(len(frame) - 4)  # keep most frames inside the limit
        client = RawClient(daemon.socket, timeout=5)
        try:
            client.send(bytes(frame))
            client.sock.shutdown(1)  # no more bytes: the daemon answers or closes
            client.closed()
        except OSError:
            pass
        finally:
            client.close()
    assert daemon.ask(Health()).ok
    assert '"event": "control_command_failed"' not in daemon.log()  # no handler blew up
