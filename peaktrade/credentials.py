"""Secrets from systemd credentials (``LoadCredential=``) or, in development, the environment.

Never from the config file. Every value read is registered for redaction before it is returned,
so no later log line, alert or error text can carry it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from peaktrade.redaction import register_secret

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class Secret:
    """A secret string that does not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The value, for the one place that must send it (a signer, an HTTP header)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def env_name(name: str) -> str:
    """``testnet-api-key`` -> ``PEAKTRADE_TESTNET_API_KEY``."""
    return "PEAKTRADE_" + name.upper().replace("-", "_")


def read_credential(name: str, environ: Mapping[str, str] | None = None) -> Secret | None:
    """The credential ``name`` from ``$CREDENTIALS_DIRECTORY`` first, then the environment."""
    if not _NAME.match(name):
        raise ValueError(f"invalid credential name {name!r}")
    env = os.environ if environ is None else environ
    value: str | None = None
    directory = env.get("CREDENTIALS_DIRECTORY")
    if directory:
        path = Path(directory) / name
        if path.is_file():
            value = path.read_text(encoding="utf-8").strip()
    if value is None:
        value = env.get(env_name(name))
        value = value.strip() if value is not None else None
    if not value:
        return None
    register_secret(value)
    return Secret(value)


def register_environment_secrets(environ: Mapping[str, str] | None = None) -> None:
    """Mask any ``PEAKTRADE_*`` secret-looking variables even if no code reads them."""
    env = os.environ if environ is None else environ
    for key, value in env.items():
        if key.startswith("PEAKTRADE_") and any(
            word in key for word in ("KEY", "SECRET", "TOKEN", "WEBHOOK", "PASSWORD", "URL")
        ):
            register_secret(value)
