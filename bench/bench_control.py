"""Control socket figures: round trip vs a raw Unix echo, ptctl start-up, kill acknowledgement."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, figure, median, pct, running_daemon

from peaktrade.control.protocol import (
    HEADER,
    Kill,
    Release,
    Status,
    encode_frame,
    frame_length,
    reply_decoder,
)

N_ROUND_TRIPS = 10_000
N_KILLS = 500
N_PTCTL = 20

ECHO_SERVER = """
import sys, anyio
from anyio.streams.buffered import BufferedByteReceiveStream
async def handle(stream):
    async with stream:
        reader = BufferedByteReceiveStream(stream)
        try:
            while True:
                header = await reader.receive_exactly(4)
                body = await reader.receive_exactly(int.from_bytes(header, "big"))
                await stream.send(header + body)
        except (anyio.EndOfStream, anyio.IncompleteRead):
            pass
async def main():
    listener = await anyio.create_unix_listener(sys.argv[1])
    print("READY", flush=True)
    await listener.serve(handle)
anyio.run(main, backend_options={"use_uvloop": True})
"""


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def round_trips(path: Path, frame: bytes, n: int, decode: bool) -> list[float]:
    """Sequential request/reply on one connection, as an in-process client does it."""
    samples = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(os.fspath(path))
        for _ in range(n):
            start = time.perf_counter()
            sock.sendall(frame)
            body = recv_exactly(sock, frame_length(recv_exactly(sock, HEADER.size)))
            if decode:
                reply_decoder.decode(body)
            samples.append(time.perf_counter() - start)
    return samples


def echo_round_trips(frame: bytes, n: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "echo.sock"
        proc = subprocess.Popen(
            [sys.executable, "-c", ECHO_SERVER, str(path)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
            return round_trips(path, frame, n, decode=False)
        finally:
            proc.terminate()
            proc.wait()


def main() -> None:
    frame = encode_frame(Status())
    with running_daemon() as sock:
        round_trips(sock, frame, 500, decode=True)  # warm-up
        control = round_trips(sock, frame, N_ROUND_TRIPS, decode=True)

        kills = []
        kill_frame, release_frame = (
            encode_frame(Kill(reason="bench")),
            encode_frame(Release(reason="bench")),
        )
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(os.fspath(sock))
            for _ in range(N_KILLS):
                start = time.perf_counter()
                s.sendall(kill_frame)
                reply = reply_decoder.decode(
                    recv_exactly(s, frame_length(recv_exactly(s, HEADER.size)))
                )
                kills.append(time.perf_counter() - start)
                assert reply.ok
                s.sendall(release_frame)
                recv_exactly(s, frame_length(recv_exactly(s, HEADER.size)))

        ptctl = str(Path(sys.executable).with_name("ptctl"))
        env = {**os.environ, "PEAKTRADE_SOCKET": str(sock)}
        ptctl_times, typer_times = [], []
        for _ in range(N_PTCTL):
            start = time.perf_counter()
            result = subprocess.run([ptctl, "health"], env=env, capture_output=True, cwd=ROOT)
            ptctl_times.append(time.perf_counter() - start)
            assert result.returncode in (0, 1), result.stderr
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import typer"], check=True)
            typer_times.append(time.perf_counter() - start)

    echo = echo_round_trips(frame, N_ROUND_TRIPS)

    ms = 1000.0
    figure("control_rtt_p50", pct(control, 50) * ms, "ms")
    figure("control_rtt_p99", pct(control, 99) * ms, "ms", "<= 1 ms")
    figure("raw_echo_rtt_p99", pct(echo, 99) * ms, "ms")
    figure("control_vs_echo_p99_ratio", pct(control, 99) / pct(echo, 99), "x", "<= 3")
    figure("ptctl_health_wall_median", median(ptctl_times) * ms, "ms", "<= 150 ms")
    figure("ptctl_vs_import_typer_ratio", median(ptctl_times) / median(typer_times), "x")
    figure("kill_ack_p50", pct(kills, 50) * ms, "ms")
    figure("kill_ack_p99", pct(kills, 99) * ms, "ms", "<= 5 ms")


if __name__ == "__main__":
    main()
