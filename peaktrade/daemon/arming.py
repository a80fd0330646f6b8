"""The live gate: config arming AND a confirmation from outside the config file.

The confirmation is the systemd credential ``live-confirm`` or ``PEAKTRADE_LIVE_CONFIRM`` and
must equal the account label, so arming one account cannot start another.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Mapping

from peaktrade.config import Config, Mode, Network
from peaktrade.credentials import read_credential

CONFIRM_CREDENTIAL = "live-confirm"


class LiveRefused(Exception):
    """Live mode asked for but not properly armed."""


def check_live_arming(config: Config, env: Mapping[str, str] | None = None) -> None:
    """Raise LiveRefused unless every live condition holds; silent for other modes."""
    run = config.run
    if run.mode is not Mode.LIVE:
        return
    if run.network is not Network.MAINNET:
        raise LiveRefused(f'mode "live" runs only on network "mainnet", not {run.network.value!r}')
    if not config.live.armed:
        raise LiveRefused('mode "live" needs live.armed = true in the config')
    confirmation = read_credential(CONFIRM_CREDENTIAL, os.environ if env is None else env)
    if confirmation is None:
        raise LiveRefused(
            "live is armed but not confirmed: provide the systemd credential "
            f"{CONFIRM_CREDENTIAL!r} (LoadCredential=) or PEAKTRADE_LIVE_CONFIRM, "
            "set to the account label"
        )
    if not hmac.compare_digest(confirmation.reveal(), run.account_label):
        raise LiveRefused(
            f"live confirmation does not match the account label {run.account_label!r}"
        )
