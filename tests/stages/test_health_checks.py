"""ptctl health, check pre-open / end-of-day, and checks the daemon runs on a schedule."""

from __future__ import annotations

import json
import shlex
import shutil
import urllib.request
from collections.abc import Callable
from pathlib import Path

from peaktrade.control.protocol import (
    AlertsQuery,
    AlertsResult,
    AlertsTest,
    Health,
    HealthResult,
    OrderSpec,
    OrderSubmit,
)
from tests.support import BASE_CONFIG, DaemonProcess, run_peaktrade, run_ptctl, wait_for

EVERY_CHECK = {
    "lifecycle",
    "event_loop",
    "config",
    "stage",
    "trading_state",
    "state_disk",
    "exchange",
    "clock_skew",
    "market_data",
    "private_stream",
    "reconciliation",
    "orders_in_doubt",
    "alert_delivery",
    "risk_headroom",
    "watchdog",
}


def checks(daemon: DaemonProcess) -> dict[str, tuple[str, str]]:
    result = daemon.ask(Health()).result
    assert isinstance(result, HealthResult)
    return {c.name: (c.level.value, c.value) for c in result.checks}


def ptctl(daemon: DaemonProcess, *args: str) -> tuple[int, str]:
    done = run_ptctl("--socket", str(daemon.socket), *args)
    return done.returncode, done.stdout + done.stderr


def test_health_has_every_check_with_a_level_and_a_value(daemon: DaemonProcess) -> None:
    found = checks(daemon)
    assert set(found) == EVERY_CHECK
    assert all(level in ("ok", "warn", "fail") and value for level, value in found.values())
    assert ptctl(daemon, "health")[0] == 0


def test_a_config_file_broken_since_start_fails_health(daemon: DaemonProcess) -> None:
    daemon.config.write_text(daemon.config.read_text() + "\nbogus = 1\n")
    level, value = checks(daemon)["config"]
    assert level == "fail" and "bogus" in value
    assert ptctl(daemon, "health")[0] == 1


def test_an_edited_config_file_warns_until_reloaded(daemon: DaemonProcess) -> None:
    daemon.config.write_text(daemon.config.read_text() + '\n[logging]\nlevel = "debug"\n')
    level, value = checks(daemon)["config"]
    assert level == "warn" and "changed since it was loaded" in value


def test_the_clock_check_reads_the_exchange_clock(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(BASE_CONFIG + "[checks]\nclock_check_interval_s = 0.2\n").start()
    wait_for(lambda: checks(daemon)["clock_skew"][0] == "ok", timeout=10)
    _sim_fault(daemon, {"name": "clock_skew", "offset_ms": 5000})
    wait_for(lambda: checks(daemon)["clock_skew"][0] == "fail", timeout=10)
    offset = float(checks(daemon)["clock_skew"][1].split(" ms")[0])
    assert 4500 < offset < 5500


def test_alert_delivery_follows_the_last_test_across_a_restart(daemon: DaemonProcess) -> None:
    assert checks(daemon)["alert_delivery"] == ("warn", "never tested")
    assert daemon.ask(AlertsTest()).ok
    level, value = checks(daemon)["alert_delivery"]
    assert level == "ok" and "delivered to log" in value
    daemon.stop()
    daemon.start()
    assert checks(daemon)["alert_delivery"][0] == "ok"


def test_pre_open_fails_until_alert_delivery_was_proven(daemon: DaemonProcess) -> None:
    code, out = ptctl(daemon, "check", "pre-open")
    assert code == 1
    assert "check pre-open: FAILED" in out and "[FAIL] alert_delivery" in out
    daemon.ask(AlertsTest())
    code, out = ptctl(daemon, "check", "pre-open")
    assert code == 0, out
    assert "check pre-open: passed" in out


def test_end_of_day_reviews_the_day_and_names_the_report_command(
    daemon: DaemonProcess, tmp_path: Path
) -> None:
    daemon.ask(OrderSubmit(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.001)))
    code, out = ptctl(daemon, "check", "end-of-day")
    assert code == 0, out
    for name in ("day_pnl", "violations", "alerts", "open_positions", "report"):
        assert f"] {name}" in out
    assert "BTC/USDT long 0.000999" in out  # the buy fee is paid in BTC
    command = json.loads(
        run_ptctl("--socket", str(daemon.socket), "check", "end-of-day", "--json").stdout
    )
    argv = shlex.split(command["result"]["report_command"])
    argv[argv.index("-o") + 1] = str(tmp_path / "day.html")
    assert argv[0] == "peaktrade"
    assert run_peaktrade(*argv[1:]).returncode == 0
    assert (tmp_path / "day.html").stat().st_size > 0


def test_end_of_day_fails_on_open_positions_when_flat_is_expected(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    daemon = make_daemon(BASE_CONFIG + "[checks]\nexpect_flat_at_end_of_day = true\n").start()
    assert ptctl(daemon, "check", "end-of-day")[0] == 0
    daemon.ask(OrderSubmit(order=OrderSpec(symbol="BTC/USDT", side="buy", qty=0.001)))
    code, out = ptctl(daemon, "check", "end-of-day")
    assert code == 1 and "[FAIL] open_positions" in out


def test_a_scheduled_check_that_fails_raises_check_failed(
    make_daemon: Callable[..., DaemonProcess],
) -> None:
    assert shutil.which("faketime"), "the faketime package runs the daemon at a chosen time"
    schedule = '[[checks.schedule]]\npreset = "pre-open"\nat = "08:55"\nlevel = "CRITICAL"\n'
    daemon = make_daemon(BASE_CONFIG + schedule)
    # 20 s before the check is due: a start slowed by a loaded machine must not miss it
    daemon.start(env={"TZ": "UTC"}, wrapper=["faketime", "2024-05-01 08:54:40"])

    def raised() -> list[str]:
        found = daemon.ask(AlertsQuery(limit=50)).result
        assert isinstance(found, AlertsResult)
        return [f"{a.level} {a.message}" for a in found.alerts if a.code == "check.failed"]

    (alert,) = wait_for(raised, timeout=60)
    assert alert == "CRITICAL pre-open check failed: alert_delivery: never tested"


def _sim_fault(daemon: DaemonProcess, fault: dict[str, object]) -> None:
    url = next(
        json.loads(line)["rest_url"]
        for line in daemon.log().splitlines()
        if '"simulator_listening"' in line
    )
    request = urllib.request.Request(
        f"{url}/sim/faults",
        data=json.dumps(fault).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 200
