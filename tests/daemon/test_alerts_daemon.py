"""Alerts from a running daemon: emission points reach a real webhook; ptctl alerts, ack, test."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from peaktrade.control.protocol import Kill, Release
from tests.support import BASE_CONFIG, DaemonProcess, run_ptctl, wait_for

CANARY_PATH = "/hooks/CANARY-path-4f1e9b"


class Receiver:
    """A webhook endpoint on loopback that records every JSON body posted to it."""

    def __init__(self) -> None:
        received: list[dict[str, object]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{CANARY_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def codes(self) -> list[str]:
        return [str(body.get("code")) for body in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


CONFIG = (
    BASE_CONFIG
    + """
[live_alerts]
sinks = ["log", "webhook"]
[live_alerts.retry]
base_delay_s = 0.1
"""
)


def start(make_daemon: Callable[..., DaemonProcess], receiver: Receiver) -> DaemonProcess:
    return make_daemon(CONFIG).start(env={"PEAKTRADE_ALERT_WEBHOOK_URL": receiver.url})


def test_kill_and_release_reach_the_webhook(
    make_daemon: Callable[..., DaemonProcess], receiver: Receiver
) -> None:
    d = start(make_daemon, receiver)
    wait_for(lambda: "daemon.started" in receiver.codes())
    d.ask(Kill(reason="webhook drill"))
    d.ask(Release(reason="drill over"))
    wait_for(lambda: {"kill.engaged", "kill.released"} <= set(receiver.codes()))
    engaged = next(b for b in receiver.received if b["code"] == "kill.engaged")
    assert engaged["level"] == "CRITICAL"
    assert (engaged["mode"], engaged["network"]) == ("paper", "sim")
    assert "RUNBOOKS_AND_INCIDENT_HANDLING.md#kill-switch-engaged" in json.dumps(engaged)


def test_ptctl_alerts_lists_and_acks(
    make_daemon: Callable[..., DaemonProcess], receiver: Receiver
) -> None:
    d = start(make_daemon, receiver)
    d.ask(Kill(reason="list me"))

    def listed() -> list[dict[str, object]]:
        out = run_ptctl("--socket", str(d.socket), "alerts", "--level", "CRITICAL", "--json")
        return list(json.loads(out.stdout)["result"]["alerts"])

    alerts = wait_for(listed)
    assert {a["code"] for a in alerts} == {"kill.engaged"}
    alert_id = str(alerts[0]["id"])
    acked = run_ptctl("--socket", str(d.socket), "alerts", "ack", alert_id)
    assert acked.returncode == 0, acked.stderr
    assert "acked by uid:" in acked.stdout
    missing = run_ptctl("--socket", str(d.socket), "alerts", "ack", "no-such-id")
    assert missing.returncode == 1 and "alerts.no_such_alert" in missing.stderr


def test_ptctl_alerts_test_reports_each_sink(
    make_daemon: Callable[..., DaemonProcess], receiver: Receiver
) -> None:
    d = start(make_daemon, receiver)
    result = run_ptctl("--socket", str(d.socket), "alerts", "test", "--json")
    assert result.returncode == 0, result.stdout
    deliveries = json.loads(result.stdout)["result"]["deliveries"]
    assert {(x["sink"], x["status"]) for x in deliveries} == {
        ("log", "delivered"),
        ("webhook", "delivered"),
    }
    wait_for(lambda: "alerts.test" in receiver.codes())
    unknown = run_ptctl("--socket", str(d.socket), "alerts", "test", "--sink", "pigeon")
    assert unknown.returncode == 1 and "alerts.unknown_sink" in unknown.stderr


def test_failing_sink_is_reported_and_never_leaks_its_url(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    dead = "http://127.0.0.1:9" + CANARY_PATH  # discard port: connection refused
    d = make_daemon(CONFIG).start(env={"PEAKTRADE_ALERT_WEBHOOK_URL": dead})
    result = run_ptctl("--socket", str(d.socket), "alerts", "test", "--sink", "webhook")
    assert result.returncode == 1
    assert "failed" in result.stdout or "gave_up" in result.stdout
    d.stop()
    assert CANARY_PATH not in d.log() + result.stdout + result.stderr


HEALTH_WATCHED = CONFIG + "\n[daemon]\nhealth_alert_interval_s = 0.1\n"


def unhealthy(receiver: Receiver, status: str) -> list[dict[str, object]]:
    return [
        b
        for b in receiver.received
        if b["code"] == "daemon.unhealthy" and b.get("status") == status
    ]


def test_unhealthy_daemon_alerts_naming_the_failing_check_and_resolves(
    make_daemon: Callable[..., DaemonProcess], receiver: Receiver
) -> None:
    d = make_daemon(HEALTH_WATCHED).start(env={"PEAKTRADE_ALERT_WEBHOOK_URL": receiver.url})
    wait_for(lambda: "daemon.started" in receiver.codes())
    good = d.config.read_text()
    # a config broken on disk fails the `config` check: a restart would refuse to start
    d.config.write_text(good + "\nno_such_key = 1\n")
    (raised,) = wait_for(lambda: unhealthy(receiver, "firing"))
    assert raised["level"] == "CRITICAL"
    assert "config:" in str(raised["message"]) and "no_such_key" in str(raised["message"])
    d.config.write_text(good)
    (resolved,) = wait_for(lambda: unhealthy(receiver, "resolved"))
    assert resolved["level"] == "CRITICAL"  # the recovery carries the level it was raised at
    assert len(unhealthy(receiver, "firing")) == 1  # raised once for the whole outage


def test_unhealthy_alert_left_open_at_a_restart_is_resolved_by_the_next_run(
    make_daemon: Callable[..., DaemonProcess], receiver: Receiver
) -> None:
    env = {"PEAKTRADE_ALERT_WEBHOOK_URL": receiver.url}
    d = make_daemon(HEALTH_WATCHED).start(env=env)
    good = d.config.read_text()
    d.config.write_text(good + "\nno_such_key = 1\n")
    wait_for(lambda: unhealthy(receiver, "firing"))
    assert d.stop() == 0
    d.config.write_text(good)
    d.start(env=env)
    wait_for(lambda: unhealthy(receiver, "resolved"))
    assert len(unhealthy(receiver, "firing")) == 1
