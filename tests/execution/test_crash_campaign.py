"""SIGKILL the daemon at random points of the order path 50 times; every restart reconciles.

A standalone simulator per lane outlives the kills; the daemon trades on it in testnet mode
while driver threads submit orders over the control socket. One campaign runs for the module
(about two minutes); each test reads one invariant off its report. ``make soak`` runs the
same campaign with more kills (``bench/soak_campaigns.py``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from peaktrade.drills.crash_campaign import CrashReport, CrashSettings, run_crash_campaign

KILLS = 50
SETTINGS = CrashSettings(kills=KILLS, lanes=2, seed=11)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CrashReport]:
    yield run_crash_campaign(SETTINGS, tmp_path_factory.mktemp("crash"))


def _readable(items: list[str]) -> str:
    return f"{len(items)}: {items[:10]}"


@pytest.mark.slow
def test_the_daemon_is_killed_50_times_with_orders_in_flight(campaign: CrashReport) -> None:
    assert campaign.kills >= KILLS
    in_window = sum(lane.kills_in_window for lane in campaign.lanes)
    # most kills must land between the journal write and the exchange's answer
    assert in_window >= campaign.kills // 2, [lane.kills_in_window for lane in campaign.lanes]
    assert all(lane.submissions > 0 for lane in campaign.lanes)


@pytest.mark.slow
def test_every_restart_finds_the_journal_intact(campaign: CrashReport) -> None:
    assert not campaign.each("integrity"), _readable(campaign.each("integrity"))
    unexpected = campaign.each("unexpected_state")
    assert not unexpected, f"not ACTIVE after a plain restart: {_readable(unexpected)}"


@pytest.mark.slow
def test_the_kill_switch_survives_sigkill(campaign: CrashReport) -> None:
    assert sum(lane.kill_switch_rounds for lane in campaign.lanes) > 0
    assert not campaign.each("kill_switch"), _readable(campaign.each("kill_switch"))


@pytest.mark.slow
def test_no_order_is_placed_twice_across_crashes(campaign: CrashReport) -> None:
    for lane in campaign.lanes:
        v = lane.violations
        assert not v.duplicates, f"lane {lane.lane} accepted twice: {_readable(v.duplicates)}"
        assert not v.strays, f"lane {lane.lane} not in the journal: {_readable(v.strays)}"


@pytest.mark.slow
def test_no_fill_is_lost_or_invented_across_crashes(campaign: CrashReport) -> None:
    for lane in campaign.lanes:
        v = lane.violations
        assert not v.lost_fills, f"lane {lane.lane} lost fills: {_readable(v.lost_fills)}"
        assert not v.invented_fills, f"lane {lane.lane} invented: {_readable(v.invented_fills)}"
        assert lane.fills > 0


@pytest.mark.slow
def test_journal_equals_the_exchange_after_crashes(campaign: CrashReport) -> None:
    for lane in campaign.lanes:
        v = lane.violations
        assert not v.state_mismatches, f"lane {lane.lane}: {_readable(v.state_mismatches)}"
        assert not v.still_in_doubt, f"lane {lane.lane}: {_readable(v.still_in_doubt)}"
    assert campaign.ok
