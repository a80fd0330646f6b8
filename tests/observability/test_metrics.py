"""/metrics of a real daemon in the Prometheus format, and the deploy/ rules that read it."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator

import msgspec
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from peaktrade.alerts.codes import CODES
from tests.observability.support import observed_config, running
from tests.support import ROOT, free_port, run_ptctl, wait_for

RULES = ROOT / "deploy" / "prometheus" / "peaktrade-alerts.yml"
SCRAPE = ROOT / "deploy" / "prometheus" / "prometheus.yml"
LIMITS = """
[live_risk]
max_order_notional = 2000.0
max_symbol_exposure_notional = 20000.0
max_total_exposure_notional = 50000.0
max_daily_loss_abs = 2000.0
max_drawdown_pct = 10.0
"""

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


class Scrapes(msgspec.Struct):
    before: Samples
    after: Samples
    text: str


def scrape(port: int) -> tuple[Samples, str]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return samples, text


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def scrapes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapes]:
    """A scrape before trading, then one after a fill, a risk refusal and a kill."""
    port = free_port()
    config = observed_config(port, page=False, extra=LIMITS)
    with running(tmp_path_factory.mktemp("metrics"), config, port=port) as daemon:
        before, _ = scrape(port)
        sock = ["--socket", str(daemon.socket)]
        order = ["order", "submit", "--symbol", "BTC/USDT", "--side", "buy"]
        assert run_ptctl(*sock, *order, "--qty", "0.01").returncode == 0
        assert run_ptctl(*sock, *order, "--qty", "0.5").returncode == 1  # over 2000 notional
        assert run_ptctl(*sock, "kill", "--reason", "metrics drill").returncode == 0
        wait_for(lambda: _has_critical_alert(port))
        after, text = scrape(port)
        yield Scrapes(before=before, after=after, text=text)


def _has_critical_alert(port: int) -> bool:
    return value(scrape(port)[0], "peaktrade_alerts_total", level="CRITICAL") >= 1


def test_every_metric_the_issue_names_is_exported(scrapes: Scrapes) -> None:
    names = {name for name, _ in scrapes.after}
    assert {
        "peaktrade_equity",
        "peaktrade_cash",
        "peaktrade_daily_pnl",
        "peaktrade_exposure_notional",
        "peaktrade_trading_state",
        "peaktrade_orders_total",
        "peaktrade_risk_rejections_total",
        "peaktrade_alerts_total",
        "peaktrade_alert_deliveries_total",
        "peaktrade_quote_age_seconds",
        "peaktrade_exchange_request_latency_seconds",
        "peaktrade_event_loop_lag_seconds",
        "peaktrade_stream_reconnects_total",
    } <= names


def test_a_fill_is_counted_and_shows_as_exposure_against_its_limit(scrapes: Scrapes) -> None:
    before, after = scrapes.before, scrapes.after
    assert value(before, "peaktrade_orders_total", state="filled") == 0
    assert value(after, "peaktrade_orders_total", state="filled") == 1
    assert value(after, "peaktrade_exposure_notional", symbol="BTC/USDT") > 0
    assert value(after, "peaktrade_exposure_limit_notional", symbol="BTC/USDT") == 20000.0
    assert value(after, "peaktrade_cash") < value(before, "peaktrade_cash")


def test_a_kill_shows_as_the_halted_trading_state(scrapes: Scrapes) -> None:
    assert value(scrapes.before, "peaktrade_trading_state", state="ACTIVE") == 1
    assert value(scrapes.after, "peaktrade_trading_state", state="HALTED") == 1
    assert value(scrapes.after, "peaktrade_trading_state", state="ACTIVE") == 0


def test_a_risk_refusal_is_counted_by_its_rule(scrapes: Scrapes) -> None:
    rule = "risk.max_order_notional"
    assert value(scrapes.after, "peaktrade_risk_rejections_total", rule=rule) == 1


def test_alerts_are_counted_by_level_and_by_delivery_status(scrapes: Scrapes) -> None:
    after = scrapes.after
    assert value(after, "peaktrade_alerts_total", level="CRITICAL") >= 1  # kill.engaged
    assert value(after, "peaktrade_alert_deliveries_total", sink="log", status="delivered") >= 1


def test_quote_staleness_and_latency_are_per_symbol_and_per_quantile(scrapes: Scrapes) -> None:
    after = scrapes.after
    for symbol in ("BTC/USDT", "ETH/USDT"):
        assert ("peaktrade_quote_age_seconds", (("symbol", symbol),)) in after
    assert value(after, "peaktrade_exchange_request_latency_seconds", quantile="0.99") > 0


def test_alert_rules_read_only_exported_metrics_and_name_known_runbooks(
    scrapes: Scrapes,
) -> None:
    exported = {name for name, _ in scrapes.after} | {"up"}
    rules = [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]
    assert len(rules) >= 10
    anchors = {c.anchor for c in CODES.values()}
    for rule in rules:
        used = set(re.findall(r"\b(?:peaktrade_\w+|up)\b", rule["expr"]))
        assert used and used <= exported, (rule["alert"], used - exported)
        assert rule["annotations"]["runbook"] in anchors, rule["alert"]
    scrape_config = yaml.safe_load(SCRAPE.read_text())
    assert RULES.name in scrape_config["rule_files"]
