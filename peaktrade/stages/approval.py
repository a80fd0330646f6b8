"""The approved promotion to live: written by a testnet run, required by the live start.

Testnet and live use different databases (by design), so the approval crosses as a small
file in the state directory, ``live-approval.json`` (0600, written atomically). It names the
strategy it was earned with (a digest of the strategy, exchange and symbols): a live start
with another strategy is refused. A live start uses it up; it expires unused.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import msgspec

from peaktrade.config import Config
from peaktrade.control.protocol import Check

APPROVAL_FILE = "live-approval.json"


class LiveApproval(msgspec.Struct, frozen=True, kw_only=True):
    strategy_digest: str
    strategy: str
    exchange: str
    symbols: list[str]
    from_run_id: str
    from_network: str
    approved_at_ms: int
    expires_at_ms: int
    by_uid: int
    reason: str
    checks: list[Check]


class NotApproved(Exception):
    """A live start without a usable approval; ``code`` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def strategy_digest(config: Config) -> str:
    """What an approval is for: the strategy and its settings, the exchange, the markets."""
    subject = {
        "strategy": config.strategy,
        "exchange": config.exchange.id,
        "symbols": sorted(config.exchange.symbols),
        "quote_currency": config.exchange.quote_currency,
    }
    return hashlib.sha256(msgspec.json.encode(subject)).hexdigest()[:16]


def approval_path(state_dir: Path) -> Path:
    return state_dir / APPROVAL_FILE


def write(state_dir: Path, approval: LiveApproval) -> Path:
    """Atomically (temp file, fsync, rename), readable by the daemon's user only."""
    path = approval_path(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, msgspec.json.format(msgspec.json.encode(approval), indent=2) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temp, path)
    _fsync_dir(path.parent)
    return path


def read(state_dir: Path) -> LiveApproval | None:
    path = approval_path(state_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return msgspec.json.decode(data, type=LiveApproval)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise NotApproved("stage.approval_unreadable", f"{path}: not an approval: {exc}") from None


def verify(approval: LiveApproval | None, *, digest: str, now_ms: int) -> LiveApproval:
    """The approval, if a live start with strategy ``digest`` may use it now."""
    if approval is None:
        raise NotApproved(
            "stage.live_not_approved",
            "no approved promotion to live: run `ptctl promote --to live --reason TEXT` on the "
            f"testnet deployment first ({APPROVAL_FILE} in the state directory)",
        )
    if now_ms >= approval.expires_at_ms:
        raise NotApproved(
            "stage.approval_expired",
            f"the approval from run {approval.from_run_id} expired; promote again from testnet",
        )
    if approval.strategy_digest != digest:
        raise NotApproved(
            "stage.approval_mismatch",
            f"the approval is for another strategy or market set (digest "
            f"{approval.strategy_digest}, this config {digest}); promote this one from testnet",
        )
    return approval


def consume(state_dir: Path, run_id: str) -> Path:
    """Mark the approval used by ``run_id`` (kept beside, for the record)."""
    path = approval_path(state_dir)
    used = path.with_name(f"live-approval.used-{run_id}.json")
    os.replace(path, used)
    _fsync_dir(path.parent)
    return used


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
