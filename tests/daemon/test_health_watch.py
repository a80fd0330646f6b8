"""The daemon.unhealthy watch: raised only after two failing evaluations in a row, resolved at
the next healthy one, never flapping on a single bad sample."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from peaktrade.control.protocol import Check, CheckLevel, HealthResult
from peaktrade.daemon.health_watch import Action, Watch, observe, unhealthy_event


def actions(samples: list[bool], raised: bool = False) -> list[Action | None]:
    watch, out = Watch(raised=raised), []
    for healthy in samples:
        watch, action = observe(watch, healthy)
        out.append(action)
    return out


@given(st.lists(st.booleans(), max_size=60))
def test_raised_only_after_two_failing_evaluations_in_a_row(samples: list[bool]) -> None:
    sent = actions(samples)
    for i, action in enumerate(sent):
        if action is Action.RAISE:
            assert i >= 1 and not samples[i] and not samples[i - 1]
        if action is Action.RESOLVE:
            assert samples[i]


@given(st.lists(st.booleans(), max_size=60))
def test_raise_and_resolve_alternate_starting_with_a_raise(samples: list[bool]) -> None:
    sent = [a for a in actions(samples) if a is not None]
    assert sent == [Action.RAISE, Action.RESOLVE] * (len(sent) // 2) + [Action.RAISE] * (
        len(sent) % 2
    )


@given(st.lists(st.booleans(), max_size=60))
def test_every_outage_of_two_evaluations_is_raised(samples: list[bool]) -> None:
    sent = actions(samples)
    outages = sum(
        1
        for i in range(1, len(samples))
        if not samples[i] and not samples[i - 1] and (i == 1 or samples[i - 2])
    )
    assert sent.count(Action.RAISE) == outages


def test_an_alert_left_open_by_the_last_run_resolves_at_the_first_healthy_evaluation() -> None:
    assert actions([True, True], raised=True) == [Action.RESOLVE, None]


def test_the_alert_names_the_failing_checks() -> None:
    result = HealthResult(
        healthy=False,
        checks=[
            Check("lifecycle", CheckLevel.OK, "running"),
            Check("config", CheckLevel.FAIL, "1 problem: no_such_key"),
            Check("market_data", CheckLevel.WARN, "BTC/USDT STALE"),
            Check("state_disk", CheckLevel.FAIL, "0.1 GiB free"),
        ],
    )
    event = unhealthy_event(result, Action.RAISE)
    assert event.message == "unhealthy: config: 1 problem: no_such_key; state_disk: 0.1 GiB free"
    assert event.context["failing"] == "config,state_disk"
    assert (event.code, event.dedupe_key, event.resolved) == (
        "daemon.unhealthy",
        "daemon.unhealthy",
        False,
    )
