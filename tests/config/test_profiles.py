"""Environment profiles preset conservative values; explicit keys win; none can arm live."""

from __future__ import annotations

import msgspec
import pytest

from peaktrade.config import parse_config
from peaktrade.profiles import PROFILE_SECTIONS, PROFILES, Profile

BASE = '[run]\nmode = "paper"\nnetwork = "sim"\n'


def test_tiny_live_presets_small_order_cap() -> None:
    loaded = parse_config(f'profile = "tiny-live"\n{BASE}'.encode(), source="c")
    assert loaded.config.live_risk.max_order_notional == 25.0
    assert loaded.config.live_risk.block_on_violation is True


def test_explicit_key_overrides_profile() -> None:
    text = f'profile = "tiny-live"\n{BASE}\n[live_risk]\nmax_order_notional = 10\n'
    loaded = parse_config(text.encode(), source="c")
    assert loaded.config.live_risk.max_order_notional == 10.0
    # the rest of the profile still applies
    assert loaded.config.live_risk.max_daily_loss_abs == 20.0


def test_standard_live_is_looser_than_tiny_live() -> None:
    tiny = PROFILES[Profile.TINY_LIVE]["live_risk"]
    standard = PROFILES[Profile.STANDARD_LIVE]["live_risk"]
    assert standard["max_order_notional"] > tiny["max_order_notional"]


def test_unknown_profile_is_refused() -> None:
    from peaktrade.config import ConfigError

    with pytest.raises(ConfigError) as info:
        parse_config(f'profile = "yolo"\n{BASE}'.encode(), source="c")
    assert (
        "profile: expected one of 'dev', 'tiny-live', 'standard-live', got 'yolo'"
        in (info.value.problems[0])
    )


@pytest.mark.parametrize("profile", list(Profile))
def test_profiles_cannot_arm_live(profile: Profile) -> None:
    """A profile may only touch limits and alerts: never mode, network or arming."""
    preset = PROFILES[profile]
    assert set(preset) <= PROFILE_SECTIONS
    assert "run" not in preset and "live" not in preset
    text = f'profile = "{profile.value}"\n[run]\nmode = "live"\nnetwork = "mainnet"\n'
    from peaktrade.config import ConfigError

    with pytest.raises(ConfigError):
        parse_config(text.encode(), source="c")


@pytest.mark.parametrize("profile", list(Profile))
def test_every_profile_yields_a_valid_config(profile: Profile) -> None:
    loaded = parse_config(f'profile = "{profile.value}"\n{BASE}'.encode(), source="c")
    assert msgspec.to_builtins(loaded.config)["profile"] == profile.value
