"""Canary secrets through every path a secret could leak by: 0 occurrences anywhere.

A real daemon trades on the simulator with a canary API key pair (real signed requests carry
them) and a canary webhook URL, with DEBUG logging on (ccxt logs its requests there), while
every REST fault fires, the webhook answers 500 and then vanishes, bad control frames arrive
and an operator pastes a secret into a reason. Then the log, every ptctl answer, the state
database, the JSONL run log and the HTML report are searched.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from peaktrade.control.protocol import Kill, OrderSpec, OrderSubmit, Release
from tests.support import BASE_CONFIG, DaemonProcess, RawClient, run_peaktrade, run_ptctl, wait_for

KEY = "CANARYKEYa9f3e1c07b5d4e2f8a6b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2"
SECRET = "CANARYSECRETf0e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382716051a2b3c4d5e6"
HOOK_PATH = "/services/T0CANARY/B0CANARY/CANARYHOOKtoken77e1c5"


class FailingReceiver:
    """A webhook that answers 500 (its error texts echo the URL path, as some do)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                self.rfile.read(length)
                body = f"no route for {self.path}".encode()
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{HOOK_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[FailingReceiver]:
    r = FailingReceiver()
    yield r
    r.close()


CONFIG = (
    BASE_CONFIG.replace('mode = "paper"', 'mode = "testnet"')
    + """
[logging]
level = "debug"
[live_alerts]
sinks = ["log", "webhook"]
sink_failing_after_s = 1
[live_alerts.retry]
max_attempts = 2
base_delay_s = 0.05
[run_log]
jsonl = true
"""
)


def canaries(hook_url: str) -> list[str]:
    values = [KEY, SECRET, hook_url, HOOK_PATH]
    return [*values, *(quote(v, safe="") for v in values)]


def test_no_canary_anywhere(
    make_daemon: Callable[..., DaemonProcess], receiver: FailingReceiver, tmp_path: Path
) -> None:
    env = {
        "PEAKTRADE_SIM_API_KEY": KEY,
        "PEAKTRADE_SIM_API_SECRET": SECRET,
        "PEAKTRADE_ALERT_WEBHOOK_URL": receiver.url,
    }
    daemon = make_daemon(CONFIG).start(env=env)
    sock = str(daemon.socket)
    order = OrderSpec(symbol="BTC/USDT", side="buy", qty=0.001)
    assert daemon.ask(OrderSubmit(order=order)).ok  # real signed requests with the canary key

    outputs: list[str] = []
    # every REST fault on order requests, one after another, through the admin API
    sim_url = _sim_url(daemon)
    for fault in (
        "http_503",
        "reset",
        "timeout_1007",
        "timeout_1007_committed",
        "http_503_committed",
        "reset_committed",
        "http_429",
    ):
        _set_fault(sim_url, {"name": fault, "count": 1, "scope": "order", "seconds": 1})
        outputs.append(
            run_ptctl(
                "--socket",
                sock,
                "order",
                "submit",
                "--symbol",
                "ETH/USDT",
                "--side",
                "buy",
                "--qty",
                "0.01",
                "--json",
            ).stdout
        )
    # a key the exchange refuses: signature errors carry request details
    daemon.ask(Kill(reason=f"pasted by mistake: {KEY} and {receiver.url}"))
    daemon.ask(Release(reason=f"again {SECRET}"))
    for frame in ({"cmd": KEY}, {"cmd": "kill", "reason": 5, "x": SECRET}):
        client = RawClient(daemon.socket)
        client.message(frame)
        outputs.append(repr(client.reply()))
        client.close()
    outputs.append(run_ptctl("--socket", sock, "alerts", "test", "--json").stdout)
    wait_for(lambda: "alerts.sink_failing" in daemon.log(), timeout=30)
    for args in (
        ["health"],
        ["status"],
        ["orders", "list", "--all"],
        ["alerts"],
        ["audit"],
        ["portfolio"],
        ["risk"],
        ["runs", "events", "current"],
    ):
        result = run_ptctl("--socket", sock, *args, "--json")
        outputs += [result.stdout, result.stderr]
    run_id = json.loads(run_ptctl("--socket", sock, "runs", "--json").stdout)["result"]["runs"][0][
        "run_id"
    ]
    daemon.stop()

    report = tmp_path / "report.html"
    made = run_peaktrade("report", run_id, "-o", str(report), "--state-dir", str(daemon.state_dir))
    assert made.returncode == 0, made.stderr
    check = run_peaktrade("check-config", str(daemon.config), env=env)

    haystacks = {
        "daemon log": daemon.log(),
        "ptctl": "\n".join(outputs),
        "report": report.read_text(),
        "check-config": check.stdout + check.stderr,
        "state db": _dump_db(daemon.state_dir / "peaktrade-sim.sqlite3"),
        "jsonl": "\n".join(p.read_text() for p in daemon.state_dir.rglob("*.jsonl")),
    }
    assert haystacks["jsonl"], "the JSONL run log was written"
    assert '"level": "debug"' in haystacks["daemon log"]  # DEBUG really was on
    for canary in canaries(receiver.url):
        for where, text in haystacks.items():
            assert canary not in text, f"{canary[:24]}... found in {where}"


def _sim_url(daemon: DaemonProcess) -> str:
    for line in daemon.log().splitlines():
        if '"simulator_listening"' in line:
            event = json.loads(line)
            return str(event["rest_url"])
    raise AssertionError("the embedded simulator's URL is not in the log")


def _set_fault(base: str, fault: dict[str, object]) -> None:
    import urllib.request

    request = urllib.request.Request(
        f"{base}/sim/faults",
        data=json.dumps(fault).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status in (200, 201, 204)


def _dump_db(path: Path) -> str:
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return "\n".join(str(row) for t in tables for row in db.execute(f"SELECT * FROM {t}"))
