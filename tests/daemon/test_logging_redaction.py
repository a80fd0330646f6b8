"""Logs: JSON lines off a terminal, console on one, mode/network on every line, no secrets."""

from __future__ import annotations

import io
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from peaktrade.control.protocol import Kill
from peaktrade.log import configure_logging, get_logger, set_run_context
from peaktrade.redaction import register_secret
from tests.support import DaemonProcess, RawClient, run_ptctl

CANARY_KEY = "CANARYKEY-0d1f9a7e5b3c"
CANARY_SECRET = "CANARYSECRET-8c2e4a6f1b9d"
CANARY_HOOK = "https://hooks.slack.invalid/services/T000/B000/CANARYHOOK7e1c"


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    set_run_context(mode="paper", network="sim")
    configure_logging("debug", "auto", stream=stream)
    yield stream
    configure_logging("info", "auto")


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_off_a_terminal_carry_mode_and_network(captured: io.StringIO) -> None:
    get_logger("t").info("hello", n=1)
    (line,) = lines(captured)
    assert (line["event"], line["n"], line["mode"], line["network"]) == ("hello", 1, "paper", "sim")
    assert line["level"] == "info" and "timestamp" in line


def test_console_output_on_a_terminal() -> None:
    stream = Tty()
    configure_logging("info", "auto", stream=stream)
    try:
        get_logger("t").info("hello", n=1)
    finally:
        configure_logging("info", "auto")
    text = stream.getvalue()
    assert "hello" in text and not text.lstrip().startswith("{")


def test_secret_key_names_are_masked(captured: io.StringIO) -> None:
    get_logger("t").info("creds", api_key="abc123456", headers={"X-MBX-APIKEY": "zzz999999"})
    (line,) = lines(captured)
    assert line["api_key"] == "***"
    assert line["headers"] == {"X-MBX-APIKEY": "***"}


def test_registered_values_are_masked_anywhere(captured: io.StringIO) -> None:
    register_secret(CANARY_SECRET)
    get_logger("t").warning(f"failed with {CANARY_SECRET}", detail=[f"x{CANARY_SECRET}y"])
    text = captured.getvalue()
    assert CANARY_SECRET not in text
    assert "failed with ***" in text


def test_exception_text_and_traceback_are_masked(captured: io.StringIO) -> None:
    register_secret(CANARY_KEY)
    try:
        raise RuntimeError(f"signature rejected for key {CANARY_KEY}")
    except RuntimeError:
        get_logger("t").exception("order_failed")
    text = captured.getvalue()
    assert "signature rejected for key ***" in text
    assert CANARY_KEY not in text


def test_stdlib_loggers_of_ccxt_and_aiohttp_are_masked(captured: io.StringIO) -> None:
    register_secret(CANARY_HOOK)
    logging.getLogger("ccxt.base.exchange").warning("GET %s failed", CANARY_HOOK)
    logging.getLogger("aiohttp.client").error("cannot connect to %r", CANARY_HOOK)
    text = captured.getvalue()
    assert CANARY_HOOK not in text
    assert text.count("***") >= 2
    assert all(line["mode"] == "paper" for line in lines(captured))


def test_url_encoded_secret_is_masked(captured: io.StringIO) -> None:
    register_secret(CANARY_HOOK)
    from urllib.parse import quote

    get_logger("t").info("posting", target=quote(CANARY_HOOK, safe=""))
    assert quote(CANARY_HOOK, safe="") not in captured.getvalue()


def test_daemon_never_shows_canary_secrets(make_daemon: Callable[..., DaemonProcess]) -> None:
    env = {
        "PEAKTRADE_TESTNET_API_KEY": CANARY_KEY,
        "PEAKTRADE_TESTNET_API_SECRET": CANARY_SECRET,
        "PEAKTRADE_ALERT_SLACK_WEBHOOK": CANARY_HOOK,
    }
    daemon = make_daemon().start(env=env)
    # error paths that echo client input back: an unknown command named with a secret,
    # a wrong field type carrying one, a reason with one pasted in
    for message in ({"cmd": CANARY_KEY}, {"cmd": "kill", "reason": 1, "x": CANARY_SECRET}):
        client = RawClient(daemon.socket)
        client.message(message)
        reply = client.reply()
        assert reply.error is not None
        assert CANARY_KEY not in reply.error.message and CANARY_SECRET not in reply.error.message
    reply = daemon.ask(Kill(reason=f"leaked {CANARY_HOOK} by mistake"))
    assert reply.ok
    outputs = [
        run_ptctl("--socket", str(daemon.socket), "status").stdout,
        run_ptctl("--socket", str(daemon.socket), "audit", "--json").stdout,
    ]
    # a config reload that echoes a secret back as a bad value
    daemon.config.write_text(daemon.config.read_text() + f'\nmax_connections = "{CANARY_KEY}"\n')
    daemon.signal(1)  # SIGHUP
    from tests.support import wait_for

    wait_for(lambda: "reload_refused" in daemon.log())
    daemon.stop()
    db = sqlite3.connect(daemon.state_dir / "peaktrade-sim.sqlite3")
    stored = "\n".join(str(row) for row in db.execute("SELECT * FROM trading_state_events"))
    stored += "\n".join(str(row) for row in db.execute("SELECT * FROM audit_log"))
    haystacks = [daemon.log(), stored, *outputs]
    for canary in (CANARY_KEY, CANARY_SECRET, CANARY_HOOK):
        for text in haystacks:
            assert canary not in text
    assert "leaked *** by mistake" in outputs[0]


def test_check_config_masks_secrets_echoed_as_values(tmp_path: Path) -> None:
    from tests.support import run_peaktrade

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[run]\nmode = "paper"\nnetwork = "sim"\naccount_label = "{CANARY_SECRET}!"\n')
    result = run_peaktrade(
        "check-config", str(cfg), env={"PEAKTRADE_TESTNET_API_SECRET": CANARY_SECRET}
    )
    assert result.returncode == 1
    assert CANARY_SECRET not in result.stderr and "run.account_label" in result.stderr


def test_the_path_of_a_secret_url_is_masked_on_its_own(captured: io.StringIO) -> None:
    hook = "https://hooks.slack.invalid/services/T0AAAA/B0BBBB/tokenXYZ0123456789abc"
    register_secret(hook)
    get_logger("t").error("http.404: no route for /services/T0AAAA/B0BBBB/tokenXYZ0123456789abc")
    get_logger("t").error("bad token tokenXYZ0123456789abc")
    text = captured.getvalue()
    assert "tokenXYZ0123456789abc" not in text and "/services/T0AAAA" not in text


def test_flags_under_secret_sounding_keys_stay_readable(captured: io.StringIO) -> None:
    get_logger("t").info(
        "listening", token_required=True, api_keys=["k1-abcdefgh"], secret={"a": "b"}
    )
    (line,) = lines(captured)
    assert line["token_required"] is True  # a flag is not a secret
    assert line["api_keys"] == "***" and line["secret"] == {"a": "***"}
