"""The promotion checklist: each rule fails on its own, can be turned off, and says why."""

from __future__ import annotations

import msgspec

from peaktrade.control.protocol import CheckLevel
from peaktrade.stages.config import OpenOrdersPolicy, PromotionChecksConfig
from peaktrade.stages.divergence import Summary
from peaktrade.stages.promotion_checks import PromotionFacts, evaluate, passed

GOOD = PromotionFacts(
    stage="paper",
    time_in_stage_s=2 * 86_400,
    orders=50,
    critical_alerts=[],
    open_orders=0,
    unresolved=0,
    drawdown_pct=1.0,
    divergence=Summary(10, 3.0, 8.0),
)
CONFIG = PromotionChecksConfig()


def levels(
    facts: PromotionFacts, config: PromotionChecksConfig = CONFIG, **kw: object
) -> dict[str, CheckLevel]:
    policy = kw.get("policy", OpenOrdersPolicy.CANCEL)
    assert isinstance(policy, OpenOrdersPolicy)
    return {c.name: c.level for c in evaluate(config, facts, open_orders=policy)}


def failing(
    facts: PromotionFacts, config: PromotionChecksConfig = CONFIG, **kw: object
) -> set[str]:
    return {name for name, level in levels(facts, config, **kw).items() if level is CheckLevel.FAIL}


def with_(**changes: object) -> PromotionFacts:
    return msgspec.structs.replace(GOOD, **changes)


def test_a_good_record_passes_every_check() -> None:
    checks = evaluate(CONFIG, GOOD, open_orders=OpenOrdersPolicy.CANCEL)
    assert passed(checks) and all(c.level is CheckLevel.OK for c in checks)
    assert [c.name for c in checks] == [
        "time_in_stage",
        "orders",
        "critical_alerts",
        "unresolved_orders",
        "open_orders",
        "drawdown",
        "divergence",
    ]


def test_each_rule_fails_on_its_own() -> None:
    assert failing(with_(time_in_stage_s=3600)) == {"time_in_stage"}
    assert failing(with_(orders=3)) == {"orders"}
    assert failing(with_(critical_alerts=["kill.engaged"])) == {"critical_alerts"}
    assert failing(with_(unresolved=1)) == {"unresolved_orders"}
    assert failing(with_(drawdown_pct=7.5)) == {"drawdown"}
    assert failing(with_(divergence=Summary(4, 40.0, 90.0))) == {"divergence"}


def test_a_failing_check_names_the_value_and_the_limit() -> None:
    checks = evaluate(CONFIG, with_(orders=3), open_orders=OpenOrdersPolicy.CANCEL)
    (orders,) = [c for c in checks if c.name == "orders"]
    assert orders.value == "3 of 20" and "min_orders" in orders.hint


def test_checks_can_be_turned_off() -> None:
    off = PromotionChecksConfig(
        min_time_in_stage_s=0,
        min_orders=0,
        no_critical_alerts=False,
        no_unresolved_orders=False,
        max_drawdown_pct=100,
        max_divergence_bps=10_000,
    )
    bad = with_(
        time_in_stage_s=0,
        orders=0,
        critical_alerts=["kill.engaged"],
        unresolved=2,
        drawdown_pct=50.0,
        divergence=Summary(1, 500.0, 500.0),
    )
    assert failing(bad, off) == set()


def test_ignored_alert_codes_do_not_count() -> None:
    config = PromotionChecksConfig(ignore_alert_codes=("kill.engaged",))
    assert failing(with_(critical_alerts=["kill.engaged"]), config) == set()


def test_open_orders_fail_only_when_the_policy_refuses_them() -> None:
    assert failing(with_(open_orders=2)) == set()
    assert failing(with_(open_orders=2), policy=OpenOrdersPolicy.REFUSE) == {"open_orders"}


def test_no_fills_warns_unless_samples_are_required() -> None:
    empty = with_(divergence=Summary(0, None, None))
    assert levels(empty)["divergence"] is CheckLevel.WARN
    strict = PromotionChecksConfig(require_divergence_samples=True)
    assert failing(empty, strict) == {"divergence"}


def test_simulated_positions_block_a_move_onto_an_exchange() -> None:
    assert "simulated_positions" not in levels(GOOD)  # not that kind of move
    assert levels(with_(carried_positions=[]))["simulated_positions"] is CheckLevel.OK
    assert failing(with_(carried_positions=["BTC/USDT +0.001"])) == {"simulated_positions"}
